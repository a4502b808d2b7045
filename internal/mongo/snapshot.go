package mongo

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/orgd/orgd/internal/org"
)

// Starting from a snapshot of the directory.
//
// Loading the directory reads every organization and account through the
// engine, which the embedded one does at about 8,000 documents a second on
// a 2-core machine (it decodes each from JSON and encodes it again): 12 s
// for 50,000 organizations and their admins, where SPEC §11 allows 3 s to
// READY. An exclusive store is written by this process alone, so when it
// closes with nothing under way or in doubt it writes its directory into a
// file beside the store, and then a seal into the meta collection that
// names the file's content. The next process to open the store reads the
// file instead of the collections if the seal names it, and deletes the
// seal before it writes anything: whatever happens next (a crash, another
// tool writing to the stopped store), the file is never trusted again,
// and the start after a crash loads the directory in full as it always
// did. The seal is the last thing a clean stop writes, so a stop cut short
// leaves none.

// snapshotSealID is the _id of the seal in the meta collection.
const snapshotSealID = "directory_snapshot"

// The snapshot file: snapshotMagic, the format's version (4 bytes), the
// length of the payload (8 bytes) and its SHA-256, then the payload, a
// gob of snapshotContent.
const (
	snapshotMagic   = "orgd directory snapshot\n"
	snapshotVersion = 1
)

// snapshotSeal names the snapshot file that holds the directory.
type snapshotSeal struct {
	ID   string    `bson:"_id"`
	Seal string    `bson:"seal"`
	At   time.Time `bson:"at"`
}

type snapshotContent struct {
	Seal string
	Load org.Load
}

// loadSnapshot fills the directory from the snapshot file when the store's
// seal names it, and consumes the seal either way. It reports whether the
// directory was filled; when not, the caller loads it from the store.
func (s *Store) loadSnapshot(ctx context.Context) (bool, error) {
	var seal snapshotSeal
	err := s.findByID(ctx, s.meta, snapshotSealID).Decode(&seal)
	if errors.Is(err, mongo.ErrNoDocuments) {
		if !s.keepSnapshot {
			s.removeSnapshotFile()
		}
		return false, nil
	}
	if err != nil {
		return false, storeErr("read the directory snapshot's seal", err)
	}
	content, rerr := readSnapshot(s.snapshotFile)
	if !s.keepSnapshot {
		if _, err := s.meta.DeleteOne(ctx, bson.D{{Key: "_id", Value: snapshotSealID}}); err != nil {
			return false, storeErr("consume the directory snapshot's seal", err)
		}
		s.removeSnapshotFile()
	}
	switch {
	case rerr != nil:
		s.log.Warn("the directory snapshot cannot be read; loading the directory from the store", "error", rerr)
		return false, nil
	case content.Seal != seal.Seal:
		s.log.Warn("the directory snapshot is not the one the store was sealed with; loading the directory from the store")
		return false, nil
	}
	version, err := s.version(ctx)
	if err != nil {
		return false, err
	}
	s.dir.Replace(content.Load, s.dir.Seq())
	s.mu.Lock()
	s.seen = version
	s.mu.Unlock()
	return true, nil
}

// StartedFromSnapshot reports whether Open filled the directory from the
// snapshot a clean stop left, rather than from the store.
func (s *Store) StartedFromSnapshot() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fromSnapshot
}

// writeSnapshot writes the directory into the snapshot file and seals it,
// when the directory is known to hold what the store does: no change under
// way here, none whose outcome is in doubt, no upgrade pending. Otherwise,
// or when writing fails, the next start loads the directory in full.
func (s *Store) writeSnapshot(ctx context.Context) error {
	s.mu.Lock()
	unsure := len(s.inflight) > 0 || len(s.suspects) > 0 || !s.loaded
	s.mu.Unlock()
	if unsure {
		s.log.Debug("no directory snapshot: changes are under way or in doubt")
		return nil
	}
	if m, err := s.layout(ctx); err != nil || m.Version < layoutAccounts {
		return err
	}
	// What waits for the next tick goes into the store first.
	s.writeLogins(ctx)
	s.writeKeyUses(ctx)
	var b [16]byte
	_, _ = rand.Read(b[:])
	seal := hex.EncodeToString(b[:])
	if err := writeSnapshotFile(s.snapshotFile, snapshotContent{Seal: seal, Load: s.dir.Snapshot()}); err != nil {
		return fmt.Errorf("write the directory snapshot: %w", err)
	}
	_, err := s.meta.UpdateOne(ctx, bson.D{{Key: "_id", Value: snapshotSealID}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "seal", Value: seal}, {Key: "at", Value: now()}}}},
		options.UpdateOne().SetUpsert(true))
	if err != nil {
		s.removeSnapshotFile()
		return storeErr("seal the directory snapshot", err)
	}
	return nil
}

func (s *Store) removeSnapshotFile() {
	if err := os.Remove(s.snapshotFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.log.Warn("remove the directory snapshot", "error", err)
	}
}

// writeSnapshotFile writes c to path atomically: a file beside it, synced,
// renamed over it, and the directory synced.
func writeSnapshotFile(path string, c snapshotContent) error {
	var payload bytes.Buffer
	if err := gob.NewEncoder(&payload).Encode(c); err != nil {
		return err
	}
	sum := sha256.Sum256(payload.Bytes())
	var head bytes.Buffer
	head.WriteString(snapshotMagic)
	_ = binary.Write(&head, binary.LittleEndian, uint32(snapshotVersion))
	_ = binary.Write(&head, binary.LittleEndian, uint64(payload.Len()))
	head.Write(sum[:])

	tmp := path + ".new"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(head.Bytes())
	if err == nil {
		_, err = f.Write(payload.Bytes())
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// readSnapshot reads and checks the snapshot file at path.
func readSnapshot(path string) (snapshotContent, error) {
	var c snapshotContent
	f, err := os.Open(path)
	if err != nil {
		return c, err
	}
	defer f.Close()
	head := make([]byte, len(snapshotMagic)+4+8+sha256.Size)
	if _, err := io.ReadFull(f, head); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	if string(head[:len(snapshotMagic)]) != snapshotMagic {
		return c, fmt.Errorf("%s is not a directory snapshot", path)
	}
	rest := head[len(snapshotMagic):]
	if v := binary.LittleEndian.Uint32(rest); v != snapshotVersion {
		return c, fmt.Errorf("%s: a snapshot of format %d, this orgd reads %d", path, v, snapshotVersion)
	}
	n := binary.LittleEndian.Uint64(rest[4:])
	if fi, err := f.Stat(); err != nil || uint64(fi.Size()) != uint64(len(head))+n {
		return c, fmt.Errorf("%s is cut short or too long", path)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(f, payload); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	if sum := sha256.Sum256(payload); !bytes.Equal(sum[:], rest[12:]) {
		return c, fmt.Errorf("%s does not match its checksum", path)
	}
	if err := gob.NewDecoder(bytes.NewReader(payload)).Decode(&c); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}
