package common

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"

	"github.com/esmigrate/esmigrate/steps"
)

// A stream's goroutine ends even when nobody reads any more (the program ended) and its channel is full; a
// reader that comes back still gets every event left and the end.
func TestStreamEndsWithoutAReader(t *testing.T) {
	gate := make(chan struct{})
	errEnd := errors.New("the end")
	msg := StartStream(7, func(emit func(steps.Event)) (any, error) {
		emit(steps.Event{Kind: steps.KindStart})
		<-gate
		for i := 0; i < 3000; i++ { // more than the channel holds: the rest are dropped
			emit(steps.Event{Kind: steps.KindProgress})
		}
		return "result", errEnd
	})().(StreamMsg)
	if msg.ID != 7 || len(msg.Events) != 1 || msg.Done {
		t.Fatalf("first read: %+v", msg)
	}
	close(gate)
	deadline := time.Now().Add(5 * time.Second)
	for !msg.Ended() {
		if time.Now().After(deadline) {
			t.Fatal("the stream's goroutine is still waiting to hand over the end")
		}
		time.Sleep(10 * time.Millisecond)
	}
	n := 0
	for !msg.Done {
		msg = msg.Reread()
		n += len(msg.Events)
	}
	if n != msg.Capacity() || msg.Result != "result" || msg.Err != errEnd {
		t.Fatalf("read %d events (want %d), end %v %v", n, msg.Capacity(), msg.Result, msg.Err)
	}
}

// The ? overlay shows every key at 80 columns: entries flow into columns and rows, none is cut at the edge.
func TestFullHelpShowsEveryKeyAt80Columns(t *testing.T) {
	for _, lang := range []string{"en", "zh"} {
		c := New(context.Background(), Options{Lang: lang, UTF8: true})
		k := c.Keys
		groups := [][]key.Binding{{k.Up, k.Down, k.PgUp, k.PgDown, k.Home, k.End}, {k.Toggle, k.All, k.Glob, k.Hidden, k.Clear},
			{k.Sort, k.Reverse, k.Options, k.Next, k.Back}, {k.Back, k.Help, k.Redraw, k.Quit}}
		out := ansi.Strip(c.FullHelp(groups, 80))
		for _, line := range strings.Split(out, "\n") {
			if ansi.StringWidth(line) > 80 {
				t.Errorf("%s: line %d wide: %q", lang, ansi.StringWidth(line), line)
			}
		}
		for _, g := range groups {
			for _, b := range g {
				if !strings.Contains(out, b.Help().Key) || !strings.Contains(out, b.Help().Desc) {
					t.Errorf("%s: the help lacks %s %s:\n%s", lang, b.Help().Key, b.Help().Desc, out)
				}
			}
		}
		if strings.Count(out, k.Back.Help().Desc) != 1 {
			t.Errorf("%s: esc is listed twice:\n%s", lang, out)
		}
	}
}

// Text wraps at spaces: a path or an index name with hyphens stays whole.
func TestWrapKeepsHyphenatedWordsWhole(t *testing.T) {
	s := "Repository esmigrate: the source writes snapshots to /data/source-repo/esmigrate; logs-2026.11.01 next"
	for _, w := range []int{30, 40, 50} {
		out := Wrap(s, w)
		for _, word := range []string{"/data/source-repo/esmigrate;", "logs-2026.11.01"} {
			if !strings.Contains(out, word) {
				t.Errorf("at %d, %q was broken:\n%s", w, word, out)
			}
		}
	}
}

func TestToASCII(t *testing.T) {
	if got := ToASCII("3 × 2 → ok … 中文 ✓"); got != "3 x 2 -> ok ... ?? +" {
		t.Errorf("ToASCII = %q", got)
	}
}

// Scrolled keeps head and foot and gives the rows what is left, from the offset on, clamped so that the rows
// never end above the foot; only the rows shown are made.
func TestScrolledKeepsHeadAndFootAndClampsTheOffset(t *testing.T) {
	made := 0
	row := func(i int) string { made++; return fmt.Sprintf("r%d", i) }
	view, off := Scrolled([]string{"head"}, 10, row, []string{"foot1", "foot2"}, 6, 100)
	if want := "head\nr7\nr8\nr9\nfoot1\nfoot2"; view != want || off != 7 {
		t.Fatalf("Scrolled = %q, off %d; want %q, off 7", view, off, want)
	}
	if made != 3 {
		t.Fatalf("made %d rows for 3 shown", made)
	}
	if view, off = Scrolled([]string{"head"}, 1, row, nil, 4, 0); view != "head\nr0\n\n\n" || off != 0 {
		t.Fatalf("one row in three lines = %q, off %d: want the rows padded", view, off)
	}
}
