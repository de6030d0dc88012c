# A kernel that writes the sample submission: what every case's "next good request" sends.
import os, shutil
base = '/kaggle/input/' + [d for d in os.listdir('/kaggle/input')][0]
shutil.copy(base + '/sample_submission.csv', '/kaggle/working/submission.csv')
