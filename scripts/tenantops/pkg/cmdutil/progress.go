package cmdutil

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Progress draws a one-line progress bar on a terminal's stderr; off a
// terminal it draws nothing, so logs and pipes stay clean.
type Progress struct {
	mu    sync.Mutex
	w     io.Writer
	label string
	last  time.Time
	shown bool
	now   func() time.Time
}

// NewProgress returns a bar writing to the factory's stderr when it is a
// terminal, or nil (a no-op) otherwise.
func (f *Factory) NewProgress(label string) *Progress {
	if !f.IO.IsStderrTTY() {
		return nil
	}
	return &Progress{w: f.IO.ErrOut, label: label, now: f.Now}
}

// Update shows done of total, at most ten times a second.
func (p *Progress) Update(done, total int) {
	if p == nil || total <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := p.now(); done < total && now.Sub(p.last) < 100*time.Millisecond {
		return
	} else {
		p.last = now
	}
	const width = 30
	filled := width * done / total
	bar := make([]byte, width)
	for i := range bar {
		if i < filled {
			bar[i] = '#'
		} else {
			bar[i] = '.'
		}
	}
	fmt.Fprintf(p.w, "\r%s [%s] %d/%d", p.label, bar, done, total)
	p.shown = true
}

// Done clears the bar.
func (p *Progress) Done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
