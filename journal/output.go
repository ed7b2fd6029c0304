package journal

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// Format is how WriteTable renders rows: an aligned text table for people,
// CSV for spreadsheets, JSON for scripts.
type Format string

// Output formats.
const (
	FormatTable Format = "table"
	FormatCSV   Format = "csv"
	FormatJSON  Format = "json"
)

// ParseFormat checks a format named on the command line.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case FormatTable, FormatCSV, FormatJSON:
		return f, nil
	}
	return "", fmt.Errorf("output format %q: want %s, %s or %s", s, FormatTable, FormatCSV, FormatJSON)
}

// Table is rows of text cells under named columns. Amounts are decimal
// strings exactly as stored, so every format shows the same digits.
type Table struct {
	Columns []string
	Rows    [][]string
}

// WriteTable writes t to w in format f. In the text table a column whose
// cells are all numbers is right-aligned; in JSON each row is an object
// keyed by column name, with values as strings (amounts stay exact).
func WriteTable(w io.Writer, t Table, f Format) error {
	for i, r := range t.Rows {
		if len(r) != len(t.Columns) {
			return fmt.Errorf("table row %d has %d cells for %d columns", i, len(r), len(t.Columns))
		}
	}
	switch f {
	case FormatTable:
		return writeText(w, t)
	case FormatCSV:
		cw := csv.NewWriter(w)
		cw.Write(t.Columns)
		cw.WriteAll(t.Rows)
		return cw.Error()
	case FormatJSON:
		return writeJSON(w, t)
	}
	return fmt.Errorf("output format %q: want %s, %s or %s", f, FormatTable, FormatCSV, FormatJSON)
}

func writeText(w io.Writer, t Table) error {
	width := make([]int, len(t.Columns))
	right := make([]bool, len(t.Columns))
	for c, name := range t.Columns {
		width[c] = utf8.RuneCountInString(name)
		right[c] = len(t.Rows) > 0
		for _, r := range t.Rows {
			width[c] = max(width[c], utf8.RuneCountInString(r[c]))
			if _, err := decimal.NewFromString(r[c]); r[c] != "" && err != nil {
				right[c] = false
			}
		}
	}
	bw := bufio.NewWriter(w)
	line := func(cells []string) {
		for c, s := range cells {
			pad := strings.Repeat(" ", width[c]-utf8.RuneCountInString(s))
			if c > 0 {
				bw.WriteString("  ")
			}
			if right[c] {
				bw.WriteString(pad + s)
			} else if c < len(cells)-1 {
				bw.WriteString(s + pad)
			} else {
				bw.WriteString(s)
			}
		}
		bw.WriteByte('\n')
	}
	line(t.Columns)
	for _, r := range t.Rows {
		line(r)
	}
	return bw.Flush()
}

func writeJSON(w io.Writer, t Table) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("[")
	for i, r := range t.Rows {
		if i > 0 {
			bw.WriteString(",")
		}
		bw.WriteString("\n  {")
		for c, name := range t.Columns {
			if c > 0 {
				bw.WriteString(", ")
			}
			k, _ := json.Marshal(name)
			v, _ := json.Marshal(r[c])
			bw.Write(k)
			bw.WriteString(": ")
			bw.Write(v)
		}
		bw.WriteString("}")
	}
	if len(t.Rows) > 0 {
		bw.WriteString("\n")
	}
	bw.WriteString("]\n")
	return bw.Flush()
}

func timeCell(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// PositionsTable lays out positions for `tradebot positions`.
func PositionsTable(rows []PositionRow) Table {
	t := Table{Columns: []string{"instance", "product", "size", "avg_entry_price", "realized_pnl", "fees", "opened_at", "updated_at"}}
	for _, p := range rows {
		t.Rows = append(t.Rows, []string{p.Instance, p.ProductID, p.Size.String(), p.AvgEntryPrice.String(),
			p.RealizedPnL.String(), p.Fees.String(), timeCell(p.OpenedAt), timeCell(p.UpdatedAt)})
	}
	return t
}

// RoundTripsTable lays out closed round trips for `tradebot trades`.
func RoundTripsTable(rows []RoundTrip) Table {
	t := Table{Columns: []string{"instance", "product", "side", "size", "entry_price", "exit_price", "fees",
		"realized_pnl", "exit_reason", "entry_time", "exit_time"}}
	for _, r := range rows {
		t.Rows = append(t.Rows, []string{r.Instance, r.ProductID, string(r.Side), r.Size.String(), r.EntryPrice.String(),
			r.ExitPrice.String(), r.Fees.String(), r.RealizedPnL.String(), r.ExitReason, timeCell(r.EntryTime), timeCell(r.ExitTime)})
	}
	return t
}

// Total returns the sum of a decimal column, for a summary line under a
// table (for example the realized PnL of `tradebot trades`). Empty cells
// count as zero; a cell that is not a number is an error naming its row.
func (t Table) Total(column string) (decimal.Decimal, error) {
	c := -1
	for i, name := range t.Columns {
		if name == column {
			c = i
		}
	}
	if c < 0 {
		return decimal.Zero, fmt.Errorf("table has no column %q", column)
	}
	sum := decimal.Zero
	for i, r := range t.Rows {
		if r[c] == "" {
			continue
		}
		v, err := decimal.NewFromString(r[c])
		if err != nil {
			return decimal.Zero, fmt.Errorf("table row %d column %s: %w", i+1, column, err)
		}
		sum = sum.Add(v)
	}
	return sum, nil
}
