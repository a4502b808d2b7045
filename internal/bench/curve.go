package bench

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// CurveFile is the plot of the capacity curve that orgbench writes beside
// the Markdown file it fills.
const CurveFile = "benchmarks-capacity.svg"

// curveRows are the curve's points as table cells: organizations, median,
// spread and the ratio to the first point.
func (r *Report) curveRows() [][4]string {
	var out [][4]string
	for _, p := range r.Curve {
		ratio := float64(p.Median()) / float64(r.Curve[0].Median())
		out = append(out, [4]string{ordinal(p.Tenants), fmtDur(p.Median()), durSpread(p.Times), fmtRatio(ratio)})
	}
	return out
}

func (r *Report) curveText() string {
	if len(r.Curve) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\ncapacity curve: org.create store work (without bcrypt) by organization\n")
	for _, row := range r.curveRows() {
		fmt.Fprintf(&b, "  %-10s %-10s %-22s %s the 1st\n", row[0], row[1], row[2], row[3])
	}
	return b.String()
}

func (r *Report) curveMarkdown() string {
	if len(r.Curve) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\nCapacity curve: the store work of one `org.create` (without bcrypt), by how many organizations the store holds, ")
	fmt.Fprintf(&b, "median of %d creates each (measured as the first row of §11 is).\n\n", r.Options.Samples)
	b.WriteString("| organization | store work (median) | spread (min–max) | against the 1st |\n| --- | --- | --- | --- |\n")
	for _, row := range r.curveRows() {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", row[0], row[1], row[2], row[3])
	}
	fmt.Fprintf(&b, "\n![org.create store work against the number of organizations](%s)\n", CurveFile)
	return b.String()
}

// CurveSVG plots the capacity curve: the store work of a create (median,
// and the spread as a bar) against the number of organizations, on a
// linear scale from 0. It returns "" without a curve.
func (r *Report) CurveSVG() string {
	if len(r.Curve) == 0 {
		return ""
	}
	const (
		width, height = 560, 300
		left, right   = 64, 24
		top, bottom   = 36, 48
	)
	maxX := float64(r.Curve[len(r.Curve)-1].Tenants)
	maxY := 0.0
	for _, p := range r.Curve {
		for _, t := range p.Times {
			maxY = math.Max(maxY, ms(t))
		}
	}
	// Room for SPEC §11's bound, twice the 1st, drawn as a line.
	maxY = niceCeil(math.Max(maxY, 2.1*ms(r.Curve[0].Median())))
	x := func(n float64) float64 { return left + n/maxX*(width-left-right) }
	y := func(v float64) float64 { return height - bottom - v/maxY*(height-top-bottom) }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="14">org.create store work (without bcrypt) by number of organizations</text>`+"\n", left)
	// Axes and grid.
	for i := 0; i <= 4; i++ {
		v := maxY * float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", left, y(v), width-right, y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s ms</text>`+"\n", left-6, y(v)+4, trimFloat(v))
	}
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", left, height-bottom, width-right, height-bottom)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", left, top, left, height-bottom)
	// Labels from the right, each skipped when it would touch the one
	// drawn to its right (the 1st beside the 1,000th).
	nextX := math.Inf(1)
	for i := len(r.Curve) - 1; i >= 0; i-- {
		p := r.Curve[i]
		px := x(float64(p.Tenants))
		if nextX-px < 40 {
			continue
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", px, height-bottom+18, count(p.Tenants))
		nextX = px
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">organizations in the store</text>`+"\n", (left+width-right)/2, height-8)
	// Twice the 1st: SPEC §11's bound.
	bound := 2 * ms(r.Curve[0].Median())
	if bound <= maxY {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#c33" stroke-dasharray="6 4"/>`+"\n", left, y(bound), width-right, y(bound))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" fill="#c33">2× the 1st</text>`+"\n", width-right, y(bound)-4)
	}
	// Spread bars, then the line of medians and its points.
	var pts []string
	for _, p := range r.Curve {
		lo, hi := math.Inf(1), 0.0
		for _, t := range p.Times {
			lo, hi = math.Min(lo, ms(t)), math.Max(hi, ms(t))
		}
		px := x(float64(p.Tenants))
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#69c" stroke-width="2"/>`+"\n", px, y(lo), px, y(hi))
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", px, y(ms(p.Median()))))
	}
	fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#036" stroke-width="2"/>`+"\n", strings.Join(pts, " "))
	for _, pt := range pts {
		xy := strings.Split(pt, ",")
		fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3.5" fill="#036"/>`+"\n", xy[0], xy[1])
	}
	b.WriteString("</svg>\n")
	return b.String()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}
