// Command charts draws a benchmark's results as an SVG line chart with
// gonum/plot. It reads a CSV file whose header is the x axis's name and
// then one name per series, and whose rows are an x value and each
// series' y value (empty when a series has no point there):
//
//	ranks,rmactor,sequential Go
//	1,0.91,1
//	2,1.64,1
//
//	go run . -in wordcount.csv -out wordcount.svg -title "wordcount speed-up" -y "× sequential"
//
// scripts/bench-charts makes the CSV files and calls it once per chart.
// It is a module of its own, so the project does not depend on gonum.
package main

import (
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"image/color"
	"io"
	"os"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ErrBadTable reports a CSV file the command cannot read as a chart.
var ErrBadTable = errors.New("charts: bad table")

// table is a CSV file's series.
type table struct {
	x      string
	series []string
	points []plotter.XYs // per series
}

func readTable(r io.Reader) (*table, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadTable, err)
	}
	if len(rows) < 2 || len(rows[0]) < 2 {
		return nil, fmt.Errorf("%w: want a header of at least 2 columns and a row", ErrBadTable)
	}
	t := &table{x: rows[0][0], series: rows[0][1:], points: make([]plotter.XYs, len(rows[0])-1)}
	for i, row := range rows[1:] {
		x, err := strconv.ParseFloat(row[0], 64)
		if err != nil {
			return nil, fmt.Errorf("%w: row %d: x %q", ErrBadTable, i+2, row[0])
		}
		for s, cell := range row[1:] {
			if cell == "" {
				continue
			}
			y, err := strconv.ParseFloat(cell, 64)
			if err != nil {
				return nil, fmt.Errorf("%w: row %d, %s: %q", ErrBadTable, i+2, t.series[s], cell)
			}
			t.points[s] = append(t.points[s], plotter.XY{X: x, Y: y})
		}
	}
	return t, nil
}

// palette is the series' colours, distinct in print and for common colour
// blindness.
var palette = []color.RGBA{
	{0, 114, 178, 255}, {213, 94, 0, 255}, {0, 158, 115, 255}, {204, 121, 167, 255}, {86, 180, 233, 255}, {230, 159, 0, 255},
}

func drawChart(t *table, title, ylabel string, logx, logy bool, out string) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = t.x
	p.Y.Label.Text = ylabel
	if logx {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	if logy {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.Left = true
	for s, name := range t.series {
		if len(t.points[s]) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(t.points[s])
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrBadTable, name, err)
		}
		c := palette[s%len(palette)]
		line.Color, points.Color = c, c
		points.Shape = draw.CircleGlyph{}
		p.Add(line, points)
		p.Legend.Add(name, line, points)
	}
	return p.Save(16*vg.Centimeter, 10*vg.Centimeter, out)
}

func main() {
	in := flag.String("in", "", "CSV file: x, then one column per series")
	out := flag.String("out", "", "SVG (or PNG, by the extension) to write")
	title := flag.String("title", "", "chart title")
	ylabel := flag.String("y", "", "y axis label")
	logx := flag.Bool("logx", false, "logarithmic x axis")
	logy := flag.Bool("logy", false, "logarithmic y axis")
	flag.Parse()
	if err := run(*in, *out, *title, *ylabel, *logx, *logy); err != nil {
		fmt.Fprintln(os.Stderr, "charts:", err)
		os.Exit(1)
	}
}

func run(in, out, title, ylabel string, logx, logy bool) error {
	if in == "" || out == "" {
		return fmt.Errorf("%w: -in and -out are needed", ErrBadTable)
	}
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	t, err := readTable(f)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	return drawChart(t, title, ylabel, logx, logy, out)
}
