package backup

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/orgd/orgd/internal/document"
	"github.com/orgd/orgd/rpc"
)

// Import modes.
const (
	// ModeInsert inserts documents in batches; a document whose _id is
	// taken stops the import.
	ModeInsert = "insert"
	// ModeUpsert replaces each document by its _id, inserting it where
	// there is none: running an import again is safe. Documents without
	// an _id are inserted.
	ModeUpsert = "upsert"
)

// ImportOptions tune Import.
type ImportOptions struct {
	// Mode is ModeInsert (when empty) or ModeUpsert.
	Mode string
	// Skip is how many documents of the input (blank lines not counted)
	// to pass over first: an earlier failed import's ImportError.Resume.
	Skip int64
	// BatchDocuments bounds the documents of one data.insert; 1,000 (the
	// most) when zero.
	BatchDocuments int
	// BatchBytes bounds the text of one data.insert, which must fit in a
	// request line of orgd's --max-message-bytes (1 MiB by default);
	// 512 KiB when zero. A document larger than this goes alone.
	BatchBytes int
	// Workers is how many upserts are in flight at once; 8 when zero.
	Workers int
	// Size is the input's size in bytes, when known, for Progress.
	Size     int64
	Progress Progress
}

// ImportResult says what Import did.
type ImportResult struct {
	// Documents is how many documents were stored.
	Documents int64
	// Skipped is how many documents were passed over (ImportOptions.Skip).
	Skipped int64
}

// MaxLineBytes bounds a line of input: a document of MongoDB's largest
// size in canonical Extended JSON fits.
const MaxLineBytes = 48 << 20

// Import reads newline-delimited Extended JSON documents from r (canonical
// or relaxed; mongoexport's output) and stores them in the organization. A
// failure comes back as *ImportError, saying how many documents landed and
// where to resume.
func Import(ctx context.Context, t Target, r io.Reader, o ImportOptions) (ImportResult, error) {
	if o.BatchDocuments <= 0 || o.BatchDocuments > rpc.MaxInsertDocuments {
		o.BatchDocuments = rpc.MaxInsertDocuments
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = 512 << 10
	}
	if o.Workers <= 0 {
		o.Workers = 8
	}
	im := &importer{t: t, o: o, in: newLineReader(r)}
	switch o.Mode {
	case "", ModeInsert:
		return im.res, im.run(ctx, im.insertBatch)
	case ModeUpsert:
		return im.res, im.run(ctx, im.upsertBatch)
	}
	return ImportResult{}, fmt.Errorf("unknown import mode %q: want %s or %s", o.Mode, ModeInsert, ModeUpsert)
}

type importer struct {
	t   Target
	o   ImportOptions
	in  *lineReader
	res ImportResult
	// stored is how many documents of the input, skipped ones included,
	// are stored in order: everything before it is in.
	stored int64
}

// run reads the input in batches and hands each to store, which stores
// them or returns an *ImportError.
func (im *importer) run(ctx context.Context, store func(context.Context, []rawDoc) error) error {
	var batch []rawDoc
	size := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := store(ctx, batch)
		batch, size = batch[:0], 0
		if im.o.Progress != nil && im.o.Size > 0 {
			im.o.Progress.SetFraction(float64(im.in.read) / float64(im.o.Size))
		}
		return err
	}
	for {
		text, line, err := im.in.next()
		if errors.Is(err, io.EOF) {
			return flush()
		}
		if err != nil {
			if ferr := flush(); ferr != nil {
				return ferr
			}
			return im.fail(line, 0, err)
		}
		if im.res.Skipped < im.o.Skip {
			im.res.Skipped++
			im.stored++
			continue
		}
		if len(batch) == im.o.BatchDocuments || (len(batch) > 0 && size+len(text) > im.o.BatchBytes) {
			if err := flush(); err != nil {
				return err
			}
		}
		batch = append(batch, rawDoc{line: line, text: text})
		size += len(text) + 1
	}
}

// fail returns the error of a failure at line (0: none in particular),
// after landed more documents were stored in order.
func (im *importer) fail(line, landed int64, err error) error {
	im.landed(landed)
	return &ImportError{Landed: im.res.Documents, Resume: im.stored, Line: line, Err: err}
}

// landed counts n more documents stored in order.
func (im *importer) landed(n int64) {
	if n == 0 {
		return
	}
	im.res.Documents += n
	im.stored += n
	if im.o.Progress != nil {
		im.o.Progress.Add(n)
	}
}

// insertBatch stores a batch with one data.insert, which stores in order:
// when it fails on a document, those before it are in.
func (im *importer) insertBatch(ctx context.Context, batch []rawDoc) error {
	docs := make([]json.RawMessage, len(batch))
	for i, d := range batch {
		docs[i] = d.text
	}
	_, err := im.t.Client.InsertDocuments(ctx, rpc.DataInsertParams{Token: im.t.Token, Org: im.t.Org, Documents: docs})
	if err == nil {
		im.landed(int64(len(batch)))
		return nil
	}
	if k, bad := notJSON(err, batch); bad {
		if k > 0 {
			if err := im.insertBatch(ctx, batch[:k]); err != nil {
				return err
			}
		}
		return im.fail(batch[k].line, 0, ErrNotJSON)
	}
	i, before := failedDocument(err)
	if i < 0 || i >= len(batch) {
		return im.fail(0, 0, err)
	}
	return im.fail(batch[i].line, int64(before), err)
}

// notJSON reports whether a call failed because a document of the batch
// is not JSON (the client's encoder checks, sparing a pass over every
// line of a good file), and which.
func notJSON(err error, batch []rawDoc) (int, bool) {
	var me *json.MarshalerError
	if !errors.As(err, &me) {
		return 0, false
	}
	for k, d := range batch {
		if !json.Valid(d.text) {
			return k, true
		}
	}
	return 0, false
}

// failedDocument reads which document of a data.insert failed, from the
// error's data.field (documents[i]), and how many before it are stored:
// all of them when the store refused it, none when orgd did before
// storing anything. i is -1 when no document is named.
func failedDocument(err error) (i, stored int) {
	var e *rpc.Error
	if !errors.As(err, &e) || e.Data == nil {
		return -1, 0
	}
	idx, ok := strings.CutPrefix(e.Data.Field, "documents[")
	if !ok {
		return -1, 0
	}
	n, perr := strconv.Atoi(strings.TrimSuffix(idx, "]"))
	if perr != nil {
		return -1, 0
	}
	switch e.Data.Reason {
	case "duplicate_key", "refused_by_store":
		return n, n
	}
	return n, 0
}

// upsertBatch stores a batch in upsert mode. A replacement by _id costs a
// round trip and, on the embedded engine, a write of its own (10 ms),
// while an insert of a whole batch costs about as much as one: so the
// batch is inserted, and each document whose _id is taken is replaced
// instead, until taken _ids come so thick that replacing the rest one by
// one (several at once) is cheaper. Resuming a failed import thus costs
// little more than the documents that had landed.
func (im *importer) upsertBatch(ctx context.Context, batch []rawDoc) error {
	const denseTaken = 3
	rest := batch
	for taken := 0; len(rest) > 0; taken++ {
		if taken == denseTaken {
			return im.replaceEach(ctx, rest)
		}
		docs := make([]json.RawMessage, len(rest))
		for i, d := range rest {
			docs[i] = d.text
		}
		_, err := im.t.Client.InsertDocuments(ctx, rpc.DataInsertParams{Token: im.t.Token, Org: im.t.Org, Documents: docs})
		if err == nil {
			im.landed(int64(len(rest)))
			return nil
		}
		if k, bad := notJSON(err, rest); bad {
			if k > 0 {
				if err := im.upsertBatch(ctx, rest[:k]); err != nil {
					return err
				}
			}
			return im.fail(rest[k].line, 0, ErrNotJSON)
		}
		i, stored := failedDocument(err)
		if i < 0 || i >= len(rest) {
			return im.fail(0, 0, err)
		}
		var e *rpc.Error
		if !errors.As(err, &e) || e.Data.Reason != "duplicate_key" {
			return im.fail(rest[i].line, int64(stored), err)
		}
		im.landed(int64(stored))
		if err := im.upsert(ctx, rest[i]); err != nil {
			return im.fail(rest[i].line, 0, err)
		}
		im.landed(1)
		rest = rest[i+1:]
	}
	return nil
}

// replaceEach replaces each document of the batch by its _id, inserting
// it where there is none, several at once.
func (im *importer) replaceEach(ctx context.Context, batch []rawDoc) error {
	errs := make([]error, len(batch))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(im.o.Workers, len(batch)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				errs[i] = im.upsert(ctx, batch[i])
			}
		}()
	}
	for i := range batch {
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	done := int64(0)
	for _, err := range errs {
		if err == nil {
			done++
		}
	}
	for i, err := range errs {
		if err != nil {
			// Everything before i is in, and some of what follows: done
			// counts them all, and upserting them again is harmless.
			im.res.Documents += done
			im.stored += int64(i)
			if im.o.Progress != nil {
				im.o.Progress.Add(done)
			}
			return &ImportError{Landed: im.res.Documents, Resume: im.stored, Line: batch[i].line, Err: err}
		}
	}
	im.landed(done)
	return nil
}

func (im *importer) upsert(ctx context.Context, d rawDoc) error {
	doc, err := document.Parse(d.text)
	if err != nil {
		return err
	}
	id, ok := doc.Lookup("_id")
	if !ok {
		_, err := im.t.Client.InsertDocuments(ctx, rpc.DataInsertParams{Token: im.t.Token, Org: im.t.Org, Documents: []json.RawMessage{d.text}})
		return err
	}
	idText, err := id.JSON()
	if err != nil {
		return err
	}
	filter := make([]byte, 0, len(idText)+10)
	filter = append(append(append(filter, `{"_id":`...), idText...), '}')
	_, err = im.t.Client.UpdateDocuments(ctx, rpc.DataUpdateParams{Token: im.t.Token, Org: im.t.Org,
		Filter: filter, Update: d.text, Replace: true, Upsert: true})
	return err
}

// lineReader reads the lines of the input that hold something.
type lineReader struct {
	r    *bufio.Reader
	line int64 // of the last line returned, from 1
	read int64 // bytes consumed
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 1<<20)}
}

var bom = []byte("\xef\xbb\xbf")

// next returns the next line that is not blank, trimmed, as a copy, and
// its number; io.EOF at the end.
func (lr *lineReader) next() ([]byte, int64, error) {
	for {
		text, err := lr.readLine()
		if err != nil {
			return nil, lr.line, err
		}
		if lr.line == 1 {
			text = bytes.TrimPrefix(text, bom)
		}
		if text = bytes.TrimSpace(text); len(text) > 0 {
			return text, lr.line, nil
		}
	}
}

// readLine reads one line, without its end, as a copy.
func (lr *lineReader) readLine() ([]byte, error) {
	var long []byte
	for {
		chunk, err := lr.r.ReadSlice('\n')
		lr.read += int64(len(chunk))
		if len(long)+len(chunk) > MaxLineBytes {
			lr.line++
			return nil, fmt.Errorf("the line is longer than %d bytes", MaxLineBytes)
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			long = append(long, chunk...)
			continue
		case err == nil:
		case errors.Is(err, io.EOF) && len(chunk)+len(long) > 0:
		default:
			return nil, err
		}
		lr.line++
		return append(long, chunk...), nil
	}
}
