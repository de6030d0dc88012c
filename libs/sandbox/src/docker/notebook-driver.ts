/**
 * Python run inside the sandbox to execute a notebook (nbclient, which `jupyter nbconvert
 * --execute` uses too), printing each cell's output as the cell finishes so that notebook runs
 * have a live log like scripts do. The executed notebook is saved as
 * /kaggle/working/__notebook__.ipynb, as Kaggle does. Exit code 1 when a cell raised.
 */
export const NOTEBOOK_DRIVER_SOURCE = String.raw`import re
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, DeadKernelError

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
OUT = "/kaggle/working/__notebook__.ipynb"


def show(cell=None, cell_index=None, **_):
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream":
            (sys.stderr if out.get("name") == "stderr" else sys.stdout).write(out.get("text", ""))
        elif kind in ("execute_result", "display_data"):
            text = out.get("data", {}).get("text/plain")
            if text:
                print(text)
        elif kind == "error":
            sys.stdout.flush()
            print(ANSI.sub("", "\n".join(out.get("traceback", []))), file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()


def main(path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=None,
        startup_timeout=300,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": "/kaggle/working"}},
        on_cell_executed=show,
    )
    code = 0
    try:
        client.execute()
    except CellExecutionError as err:
        print("[holdout] a notebook cell raised %s" % getattr(err, "ename", "an exception"), file=sys.stderr)
        code = 1
    except DeadKernelError:
        print("[holdout] the notebook's kernel died", file=sys.stderr)
        code = 1
    finally:
        try:
            nbformat.write(nb, OUT)
        except Exception as err:  # the working directory may be full
            print("[holdout] could not save the executed notebook: %s" % err, file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
`;
