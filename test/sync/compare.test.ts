import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, type CompareOptions, type HashSources } from '../../src/sync/compare.js';
import type { Entry } from '../../src/sync/types.js';

const base: CompareOptions = { mode: 'sync', compare: 'size-mtime', modifyWindowMs: 1, transferAction: 'upload' };
const e = (path: string, size: number, mtimeMs: number, extra: Partial<Entry> = {}): Entry => ({
  path,
  size,
  mtimeMs,
  kind: 'file',
  ...extra,
});

async function d(src: Entry | undefined, dst: Entry | undefined, o: Partial<CompareOptions> = {}, h?: HashSources) {
  const r = await decide({ src, dst }, { ...base, ...o }, h);
  return r ? `${r.action.action}:${r.action.reason}` : undefined;
}

test('new on source, extra on destination (sync deletes, copy leaves it)', async () => {
  assert.equal(await d(e('a', 1, 0), undefined), 'upload:new');
  assert.equal(await d(undefined, e('a', 1, 0)), 'delete:extra on destination');
  assert.equal(await d(undefined, e('a', 1, 0), { mode: 'copy' }), undefined);
  assert.equal(await d(e('a', 1, 0), undefined, { transferAction: 'download' }), 'download:new');
});

test('size-mtime: changed size, newer, older, and the modify window', async () => {
  assert.equal(await d(e('a', 1, 1000), e('a', 2, 1000)), 'upload:changed size');
  assert.equal(await d(e('a', 1, 2000), e('a', 1, 1000)), 'upload:newer');
  assert.equal(await d(e('a', 1, 1000), e('a', 1, 2000)), 'upload:older');
  assert.equal(await d(e('a', 1, 1000), e('a', 1, 1001)), 'skip:same size and time', 'default window 1 ms');
  assert.equal(await d(e('a', 1, 1000), e('a', 1, 1002)), 'upload:older');
  assert.equal(await d(e('a', 1, 1000), e('a', 1, 3000), { modifyWindowMs: 2000 }), 'skip:same size and time');
});

test('size-only ignores times', async () => {
  assert.equal(await d(e('a', 1, 0), e('a', 1, 99999), { compare: 'size-only' }), 'skip:same size');
  assert.equal(await d(e('a', 1, 0), e('a', 2, 0), { compare: 'size-only' }), 'upload:changed size');
});

test('update skips files newer on the destination but still transfers older ones', async () => {
  assert.equal(await d(e('a', 5, 1000), e('a', 1, 9000), { update: true }), 'skip:destination newer');
  assert.equal(await d(e('a', 5, 9000), e('a', 1, 1000), { update: true }), 'upload:changed size');
  assert.equal(await d(e('a', 1, 1000), e('a', 1, 1000), { update: true }), 'skip:same size and time');
});

test('ignore-existing skips anything present on the destination', async () => {
  assert.equal(await d(e('a', 5, 9000), e('a', 1, 1000), { ignoreExisting: true }), 'skip:exists on destination');
  assert.equal(await d(e('a', 5, 9000), undefined, { ignoreExisting: true }), 'upload:new');
});

test('checksum: equal hashes skip whatever the times; different hashes transfer; unknown falls back with a note', async () => {
  const notes: string[] = [];
  const h: HashSources = {
    src: async (x) => x.sha1,
    dst: async (x) => x.sha1,
    onFallback: (p, why) => notes.push(`${p}: ${why}`),
  };
  const o = { compare: 'checksum' as const };
  assert.equal(await d(e('a', 1, 0, { sha1: 'x' }), e('a', 1, 5000, { sha1: 'x' }), o, h), 'skip:same checksum');
  assert.equal(await d(e('a', 1, 0, { sha1: 'x' }), e('a', 1, 0, { sha1: 'y' }), o, h), 'upload:checksum differs');
  assert.equal(await d(e('a', 1, 0, { sha1: 'x' }), e('a', 2, 0, { sha1: 'x' }), o, h), 'upload:changed size');
  assert.equal(notes.length, 0);
  assert.equal(await d(e('big', 1, 0, { sha1: 'x' }), e('big', 1, 0), o, h), 'skip:same size and time');
  assert.equal(await d(e('big', 1, 0, { sha1: 'x' }), e('big', 1, 7000), o, h), 'upload:older');
  assert.equal(notes.length, 2);
  assert.match(notes[0], /large_file_sha1/);
});

test('empty-directory markers: present on both sides skip, one side only is new or extra', async () => {
  const m = (p: string): Entry => ({ path: p, size: 0, mtimeMs: 0, kind: 'marker' });
  assert.equal(await d(m('d/.bzEmpty'), { ...m('d/.bzEmpty'), mtimeMs: 99 }), 'skip:exists on destination');
  assert.equal(await d(m('d/.bzEmpty'), undefined), 'upload:new');
  assert.equal(await d(undefined, m('d/.bzEmpty')), 'delete:extra on destination');
});
