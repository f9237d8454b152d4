/** The transfer engine: uploads (small, large, resumable, streams), server-side copies, downloads. */
export { DEFAULTS, INFO_SRC_SIZE, type DownloadSource, type Progress, type TransferTuning } from './types.js';
export { uploadLocalFile, type UploadLocalFileParams } from './upload-file.js';
export { SourceChangedError } from './source-identity.js';
export { uploadStream, type UploadStreamParams } from './upload-stream.js';
export { copyFile, restoreVersion, type CopyFileParams } from './copy.js';
export { cancelUnfinished } from './unfinished.js';
export {
  downloadToFile,
  downloadRange,
  tempPathFor,
  expectedSha1,
  TEMP_SUFFIX,
  syncDir,
  type DownloadToFileParams,
  type DownloadResult,
} from './download/index.js';
export { choosePartSize, checkFileSize, partRanges, partCount } from './part-plan.js';
