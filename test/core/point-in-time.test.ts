/** Pure: --at parsing (ISO 8601 and ages) and the version current at a moment. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePointInTime } from '../../src/core/point-in-time.js';
import { versionAt } from '../../src/sync/point-in-time.js';
import type { FileVersion } from '../../src/wire/types.js';

const NOW = Date.UTC(2026, 11, 8, 12, 0, 0);

test('parsePointInTime reads ISO 8601 dates and times, with or without a zone', () => {
  assert.equal(parsePointInTime('2026-12-01', NOW), Date.UTC(2026, 11, 1));
  assert.equal(parsePointInTime('2026-12-01T08:30:00Z', NOW), Date.UTC(2026, 11, 1, 8, 30));
  assert.equal(parsePointInTime('2026-12-01T08:30:00.250Z', NOW), Date.UTC(2026, 11, 1, 8, 30, 0, 250));
  assert.equal(parsePointInTime('2026-12-01T10:30+02:00', NOW), Date.UTC(2026, 11, 1, 8, 30));
  assert.equal(parsePointInTime('2026-12-01 08:30Z', NOW), Date.UTC(2026, 11, 1, 8, 30));
});

test('parsePointInTime reads ages as that long before now', () => {
  assert.equal(parsePointInTime('3d', NOW), NOW - 3 * 86_400_000);
  assert.equal(parsePointInTime('12h', NOW), NOW - 12 * 3_600_000);
  assert.equal(parsePointInTime('90m', NOW), NOW - 90 * 60_000);
  assert.equal(parsePointInTime('1d12h', NOW), NOW - 36 * 3_600_000);
});

test('parsePointInTime refuses what is neither (bare numbers, junk, impossible dates)', () => {
  for (const bad of ['', '42', 'yesterday', '2026-13-45', '2026-12-01T25:00Z', '3x', '12/01/2026'])
    assert.equal(parsePointInTime(bad, NOW), undefined, bad);
});

function v(action: 'upload' | 'hide' | 'start', ts: number, id = `id-${ts}`): FileVersion {
  return { fileName: 'a', fileId: id, action, uploadTimestamp: ts, contentLength: 1 } as unknown as FileVersion;
}

test('versionAt takes the latest version at or before the moment; a hide marker or nothing means absent', () => {
  const versions = [v('upload', 300), v('hide', 200), v('upload', 100)]; // newest first
  assert.equal(versionAt(versions, 50), undefined);
  assert.equal(versionAt(versions, 100)?.fileId, 'id-100');
  assert.equal(versionAt(versions, 150)?.fileId, 'id-100');
  assert.equal(versionAt(versions, 200), undefined);
  assert.equal(versionAt(versions, 299), undefined);
  assert.equal(versionAt(versions, 300)?.fileId, 'id-300');
  assert.equal(versionAt(versions, 10_000)?.fileId, 'id-300');
});

test('versionAt ignores unfinished large files and does not rely on listing order', () => {
  assert.equal(versionAt([v('start', 90), v('upload', 50)], 100)?.fileId, 'id-50');
  // custom upload timestamps can list a newer version with an older time
  assert.equal(versionAt([v('upload', 50, 'late'), v('upload', 80, 'early')], 100)?.fileId, 'early');
  // same time: the one listed first (the newer) wins
  assert.equal(versionAt([v('upload', 80, 'second'), v('upload', 80, 'first')], 100)?.fileId, 'second');
});
