// Package backup exports an organization's documents as newline-delimited
// canonical Extended JSON v2, the format mongoexport --jsonFormat=canonical
// writes (one document per line), and imports such files, mongoexport's
// own included (canonical or relaxed). Both go through orgd's API, so they
// work while orgd owns the embedded store and respect who may see what,
// and both stream: memory stays flat whatever the size.
package backup

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/orgd/orgd/rpc"
)

// Progress is told how the work goes; *progress.Bar is one. Nil reports
// nothing.
type Progress interface {
	// SetTotal says how many documents there are, when known.
	SetTotal(n int64)
	// Add counts documents done.
	Add(n int64)
	// SetFraction says how much of the work is done, 0–1, when the number
	// of documents is not known (the share of a file read).
	SetFraction(f float64)
}

// Target is the organization to export from or import into, and how to
// reach it.
type Target struct {
	Client *rpc.Client
	Token  string
	// Org is the organization's name or slug.
	Org string
}

// ExportOptions tune Export.
type ExportOptions struct {
	// PageSize is how many documents each data.find brings; 1,000 (the
	// most) when zero.
	PageSize int
	Progress Progress
}

// ExportResult says what Export wrote.
type ExportResult struct {
	Documents int64
	Bytes     int64
}

// Export writes every document of the organization to w, one canonical
// Extended JSON document per line, in _id order, a page at a time. With a
// Progress, it first asks org.stats for the number of documents (an
// estimate from the store's figures, which costs far less than counting).
func Export(ctx context.Context, t Target, w io.Writer, o ExportOptions) (ExportResult, error) {
	if o.PageSize == 0 {
		o.PageSize = rpc.MaxFindLimit
	}
	if o.Progress != nil {
		if st, err := t.Client.OrgStats(ctx, t.Token, t.Org); err == nil {
			o.Progress.SetTotal(st.Documents)
		}
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	var res ExportResult
	p := rpc.DataFindParams{Token: t.Token, Org: t.Org, Limit: o.PageSize}
	for {
		page, err := t.Client.FindDocuments(ctx, p)
		if err != nil {
			return res, fmt.Errorf("export %s after %d documents: %w", t.Org, res.Documents, err)
		}
		for _, d := range page.Documents {
			if _, err := bw.Write(d); err != nil {
				return res, fmt.Errorf("write: %w", err)
			}
			if err := bw.WriteByte('\n'); err != nil {
				return res, fmt.Errorf("write: %w", err)
			}
			res.Bytes += int64(len(d)) + 1
		}
		res.Documents += int64(len(page.Documents))
		if o.Progress != nil {
			o.Progress.Add(int64(len(page.Documents)))
		}
		if page.NextCursor == "" {
			break
		}
		p.Cursor = page.NextCursor
	}
	if err := bw.Flush(); err != nil {
		return res, fmt.Errorf("write: %w", err)
	}
	return res, nil
}

// ErrNotJSON marks a line of the input that is not JSON.
var ErrNotJSON = errors.New("not a JSON document")

// ImportError says how far an import got before it failed, and where to
// resume it.
type ImportError struct {
	// Landed is how many documents are known to have been stored.
	Landed int64
	// Resume is how many documents of the input (blank lines not
	// counted) to skip when running the import again: every document
	// before it is stored. Run again with Skip = Resume and upsert mode,
	// which is safe for documents that landed after it.
	Resume int64
	// Line is the input's line (from 1) at fault, when one is.
	Line int64
	Err  error
}

func (e *ImportError) Error() string {
	at := ""
	if e.Line > 0 {
		at = fmt.Sprintf(" at line %d", e.Line)
	}
	return fmt.Sprintf("import failed%s: %v; %d documents landed; resume with --skip %d --mode upsert", at, e.Err, e.Landed, e.Resume)
}

func (e *ImportError) Unwrap() error { return e.Err }

// rawDoc is a line of input held for a request.
type rawDoc struct {
	line int64 // from 1
	text json.RawMessage
}
