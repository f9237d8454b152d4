/**
 * The bucket as the test itself sees it, over the emulator's HTTP API (not through b2sync): the latest
 * version of each name hashed from its downloaded bytes, unfinished large files, and their parts.
 * These calls count in the emulator's counters: take them between phases, with no fault rules set.
 */
import assert from 'node:assert/strict';
import type { RunningEmulator } from '../../../src/emulator/api.js';
import { byNameUrl, fetchRaw, listAll, ok, session, type Session } from '../../emulator/spec-helpers.js';
import { sha1 } from './tree.js';

export class RemoteView {
  private constructor(
    private readonly s: Session,
    readonly bucketName: string,
    readonly bucketId: string,
  ) {}

  /** A fresh session (tokens may have been expired) on an existing bucket. */
  static async open(emu: RunningEmulator, bucketName: string): Promise<RemoteView> {
    const s = await session(emu, emu.keyId, emu.applicationKey);
    const r = await ok(s, 'b2_list_buckets', { accountId: s.accountId, bucketName });
    assert.equal(r.buckets.length, 1, `bucket ${bucketName} exists`);
    return new RemoteView(s, bucketName, r.buckets[0].bucketId as string);
  }

  /** Name below prefix -> SHA-1 of the bytes of the latest visible version of every name under prefix (downloaded and hashed here). */
  async latestHashes(prefix = ''): Promise<Map<string, string>> {
    const { files } = (await listAll(this.s, 'b2_list_file_names', { bucketId: this.bucketId, prefix }, 1000)) as {
      files: { fileName: string }[];
    };
    const out = new Map<string, string>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < files.length) {
        const f = files[next++]!;
        const r = await fetchRaw(byNameUrl(this.s, this.bucketName, f.fileName), {
          headers: { Authorization: this.s.token },
        });
        assert.equal(r.status, 200, `download of ${f.fileName}`);
        out.set(f.fileName.slice(prefix.length), sha1(r.bytes));
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    return out;
  }

  /** Unfinished large files of the bucket: fileId and name. */
  async unfinished(): Promise<{ fileId: string; fileName: string }[]> {
    const out: { fileId: string; fileName: string }[] = [];
    let startFileId: string | undefined;
    do {
      const r = await ok(this.s, 'b2_list_unfinished_large_files', {
        bucketId: this.bucketId,
        maxFileCount: 100,
        ...(startFileId ? { startFileId } : {}),
      });
      for (const f of r.files) out.push({ fileId: f.fileId, fileName: f.fileName });
      startFileId = r.nextFileId ?? undefined;
    } while (startFileId);
    return out;
  }

  /** Part numbers already stored for an unfinished large file. */
  async partNumbers(fileId: string): Promise<number[]> {
    const out: number[] = [];
    let startPartNumber: number | undefined;
    do {
      const r = await ok(this.s, 'b2_list_parts', {
        fileId,
        maxPartCount: 1000,
        ...(startPartNumber ? { startPartNumber } : {}),
      });
      for (const p of r.parts) out.push(p.partNumber as number);
      startPartNumber = r.nextPartNumber ?? undefined;
    } while (startPartNumber);
    return out;
  }
}
