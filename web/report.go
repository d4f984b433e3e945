package web

import (
	"fmt"
	"io/fs"
)

// Paths of the report bundle inside the embedded files. build.mjs writes them without a
// content hash: they are never served, only inlined into the report page.
const (
	reportJSPath  = "dist/report/report.js"
	reportCSSPath = "dist/report/report.css"
)

// ReportAssets returns the script and the stylesheet of the nightly report's HTML page
// (Chart.js included), built from src/report by build.mjs. The report renderer inlines both
// into one self-contained file. Each call returns fresh copies the caller may change.
func ReportAssets() (js, css []byte) {
	js, css, err := reportAssets(dist)
	if err != nil {
		// The files are embedded at compile time, so this is a build defect.
		panic(fmt.Sprintf("web: %v", err))
	}
	return js, css
}

func reportAssets(fsys fs.FS) (js, css []byte, err error) {
	if js, err = fs.ReadFile(fsys, reportJSPath); err != nil {
		return nil, nil, fmt.Errorf("read embedded report script (run npm run build in web/): %w", err)
	}
	if css, err = fs.ReadFile(fsys, reportCSSPath); err != nil {
		return nil, nil, fmt.Errorf("read embedded report stylesheet (run npm run build in web/): %w", err)
	}
	return js, css, nil
}
