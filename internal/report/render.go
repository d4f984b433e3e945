package report

import (
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes the report in the layout docs/report.schema.json describes.
func WriteJSON(w io.Writer, r Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}
