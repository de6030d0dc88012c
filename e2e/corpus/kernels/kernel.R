write.csv(read.csv('/kaggle/input/x/sample_submission.csv'), 'submission.csv')
