import type { ModelPipelineDto } from '@holdout/contracts';
import { modelRequirements } from '@/lib/models';

/** What a submitted ONNX model must be, generated from the competition's pipeline (Submit tab and Overview). */
export function ModelRequirements({ model, id }: { model: ModelPipelineDto; id?: string }) {
  return (
    <dl className="requirements" id={id} data-testid="model-requirements">
      {modelRequirements(model).map((r) => (
        <div key={r.label}>
          <dt>{r.label}</dt>
          <dd>{r.text}</dd>
        </div>
      ))}
    </dl>
  );
}
