import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatRemote,
  parseLocation,
  parseRemote,
  parseRemoteInBucket,
  profileNameProblem,
} from '../../src/cli/remote-path.js';
import { UsageError } from '../../src/core/errors.js';

test('b2://bucket/path parses to bucket and path with no profile', () => {
  assert.deepEqual(parseLocation('b2://photos/2024/a.jpg'), {
    kind: 'remote',
    profile: undefined,
    bucket: 'photos',
    path: '2024/a.jpg',
    folder: false,
  });
});

test('a trailing slash marks a folder; a bucket root is a folder', () => {
  assert.equal(parseLocation('b2://photos/2024/').kind, 'remote');
  assert.equal((parseLocation('b2://photos/2024/') as { folder: boolean }).folder, true);
  assert.deepEqual(parseLocation('b2://photos'), {
    kind: 'remote',
    profile: undefined,
    bucket: 'photos',
    path: '',
    folder: true,
  });
  assert.deepEqual(parseLocation('b2://'), { kind: 'remote', profile: undefined, bucket: '', path: '', folder: true });
});

test('PROFILE:bucket/path names the profile (rclone style)', () => {
  assert.deepEqual(parseLocation('work:backups/db/x.sql'), {
    kind: 'remote',
    profile: 'work',
    bucket: 'backups',
    path: 'db/x.sql',
    folder: false,
  });
  assert.deepEqual(parseLocation('my-prof.2:'), {
    kind: 'remote',
    profile: 'my-prof.2',
    bucket: '',
    path: '',
    folder: true,
  });
});

test('a single-letter prefix is a Windows drive, so the path stays local', () => {
  assert.deepEqual(parseLocation('C:\\Users\\me'), { kind: 'local', path: 'C:\\Users\\me', folder: false });
  assert.deepEqual(parseLocation('d:/data/'), { kind: 'local', path: 'd:/data/', folder: true });
  assert.equal(parseLocation('C:').kind, 'local');
});

test('plain, relative and absolute paths are local, even with a colon later on', () => {
  assert.equal(parseLocation('photos').kind, 'local');
  assert.equal(parseLocation('./work:backups').kind, 'local');
  assert.equal(parseLocation('/tmp/a:b').kind, 'local');
  assert.equal(parseLocation('-').kind, 'local');
});

test('names keep spaces, %, + and unicode untouched', () => {
  const loc = parseRemote('b2://photos/a b%20+ü/😀.jpg');
  assert.equal(loc.path, 'a b%20+ü/😀.jpg');
});

test('an invalid bucket name is a usage error naming the rule', () => {
  assert.throws(
    () => parseLocation('b2://bad_bucket/x'),
    (e: unknown) => e instanceof UsageError && /letters, digits/.test(e.message),
  );
  assert.throws(
    () => parseLocation('b2://short/x'),
    (e: unknown) => e instanceof UsageError && /6 to 63/.test(e.message),
  );
  assert.throws(() => parseLocation('b2://b2-reserved/x'), UsageError);
});

test('parseRemote refuses a local path and parseRemoteInBucket a missing bucket', () => {
  assert.throws(
    () => parseRemote('./local'),
    (e: unknown) => e instanceof UsageError && /not a remote/.test(e.message),
  );
  assert.throws(
    () => parseRemoteInBucket('b2://'),
    (e: unknown) => e instanceof UsageError && /names no bucket/.test(e.message),
  );
  assert.throws(() => parseLocation(''), UsageError);
});

test('formatRemote writes locations back in the form they were given', () => {
  assert.equal(formatRemote({ bucket: 'photos', path: 'a/b' }), 'b2://photos/a/b');
  assert.equal(formatRemote({ profile: 'work', bucket: 'photos', path: '' }), 'work:photos');
});

test('profile names: two or more safe characters', () => {
  assert.equal(profileNameProblem('work'), undefined);
  assert.match(profileNameProblem('w') ?? '', /Windows drive/);
  assert.ok(profileNameProblem('bad name'));
  assert.ok(profileNameProblem('-x'));
});
