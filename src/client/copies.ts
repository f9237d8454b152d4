/** Server-side copies: b2_copy_file (small files, or a range) and b2_copy_part (a part of a large file). */
import { UsageError } from '../core/errors.js';
import type { FileVersion, Part } from '../wire/types.js';
import type { CopyFileParams } from './api.js';
import type { ClientCore } from './core.js';
import { checkFileMetadata, checkPartNumber } from './validate.js';

export interface CopyPartParams {
  sourceFileId: string;
  largeFileId: string;
  partNumber: number;
  range?: { start: number; end: number };
  signal?: AbortSignal;
}

export function copyFile(core: ClientCore, p: CopyFileParams): Promise<FileVersion> {
  checkFileMetadata(p.fileName, p.replace?.info ?? {});
  const body: Record<string, unknown> = { sourceFileId: p.sourceFileId, fileName: p.fileName };
  if (p.destinationBucketId) body.destinationBucketId = p.destinationBucketId;
  if (p.range) body.range = rangeValue(p.range.start, p.range.end);
  if (p.replace) {
    body.metadataDirective = 'REPLACE';
    body.contentType = p.replace.contentType;
    body.fileInfo = p.replace.info;
  } else {
    body.metadataDirective = 'COPY';
  }
  return core.api<FileVersion>('b2_copy_file', body, p.signal);
}

export function copyPart(core: ClientCore, p: CopyPartParams): Promise<Part> {
  checkPartNumber(p.partNumber);
  const body: Record<string, unknown> = {
    sourceFileId: p.sourceFileId,
    largeFileId: p.largeFileId,
    partNumber: p.partNumber,
  };
  if (p.range) body.range = rangeValue(p.range.start, p.range.end);
  return core.api<Part>('b2_copy_part', body, p.signal);
}

function rangeValue(start: number, end: number): string {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new UsageError(`bad byte range ${start}-${end}`);
  }
  return `bytes=${start}-${end}`;
}
