package ui

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/esmigrate/esmigrate/steps"
)

// profileSpy is the wizard, noting the color profile the program tells it it draws with.
type profileSpy struct {
	*Model
	got chan colorprofile.Profile
}

func (s profileSpy) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if p, ok := msg.(tea.ColorProfileMsg); ok {
		select {
		case s.got <- p.Profile:
		default:
		}
	}
	_, cmd := s.Model.Update(msg)
	return s, cmd
}

var sgrRE = regexp.MustCompile(`\x1b\[([0-9;:]*)m`)

// sgrColors lists the color attributes the SGR sequences of out set, each as written: "36", "38;5;6",
// "48;2;1;2;3", "39" (the default color counts too).
func sgrColors(out []byte) []string {
	var colors []string
	for _, m := range sgrRE.FindAllSubmatch(out, -1) {
		params := strings.Split(string(m[1]), ";")
		for i := 0; i < len(params); i++ {
			head, _, colon := strings.Cut(params[i], ":")
			n, err := strconv.Atoi(head)
			if err != nil {
				continue
			}
			switch {
			case n == 38 || n == 48 || n == 58: // extended: 5;n (256 colors) or 2;r;g;b (true color)
				end := i + 1
				switch {
				case colon: // the colon form keeps it in one parameter
				case i+1 < len(params) && params[i+1] == "5":
					end = i + 3
				case i+1 < len(params) && params[i+1] == "2":
					end = i + 5
				}
				end = min(end, len(params))
				colors = append(colors, strings.Join(params[i:end], ";"))
				i = end - 1
			case n >= 30 && n <= 37, n == 39, n >= 40 && n <= 47, n == 49, n == 59, n >= 90 && n <= 97, n >= 100 && n <= 107:
				colors = append(colors, params[i])
			}
		}
	}
	return colors
}

func isTrueColor(c string) bool {
	return strings.HasPrefix(c, "38;2") || strings.HasPrefix(c, "48;2") || strings.HasPrefix(c, "58;2") ||
		strings.HasPrefix(c, "38:2") || strings.HasPrefix(c, "48:2") || strings.HasPrefix(c, "58:2")
}

func TestSGRColors(t *testing.T) {
	got := sgrColors([]byte("\x1b[1;36mA\x1b[m\x1b[38;5;6;1mB\x1b[48;2;1;2;3mC\x1b[4m\x1b[38:2::1:2:3mD\x1b[39;22m\x1b[?25h"))
	if want := "36 38;5;6 48;2;1;2;3 38:2::1:2:3 39"; strings.Join(got, " ") != want {
		t.Fatalf("sgrColors = %q, want %q", strings.Join(got, " "), want)
	}
}

// The real program loop with the options ui.Run gives it for an environment: with NO_COLOR nothing it writes
// sets a color (bold and underline may stay); without it, the terminal's 16 or 256 colors, never true color,
// even where the environment suggests it.
func TestColorsFollowTheEnvironment(t *testing.T) {
	cases := []struct {
		name string
		env  []string
		want colorprofile.Profile
	}{
		{"NO_COLOR", []string{"TERM=xterm-256color", "NO_COLOR=1", "LANG=C.UTF-8"}, colorprofile.ASCII},
		{"NO_COLOR and COLORTERM", []string{"TERM=xterm-256color", "COLORTERM=truecolor", "NO_COLOR=1"}, colorprofile.ASCII},
		{"xterm-256color", []string{"TERM=xterm-256color", "LANG=C.UTF-8"}, colorprofile.ANSI256},
		{"xterm", []string{"TERM=xterm"}, colorprofile.ANSI},
		{"tmux", []string{"TERM=tmux-256color"}, colorprofile.ANSI256},
		{"COLORTERM=truecolor", []string{"TERM=xterm-256color", "COLORTERM=truecolor"}, colorprofile.ANSI256},
		{"kitty", []string{"TERM=xterm-kitty"}, colorprofile.ANSI256},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := colorProfile(c.env); got != c.want {
				t.Fatalf("colorProfile = %s, want %s", got, c.want)
			}
			p := steps.DefaultPlan()
			p.Source.URL, p.Target.URL = "http://10.0.0.1:9200", "http://10.0.0.2:9200"
			spy := profileSpy{Model: NewModel(NewCommon(context.Background(), "en", true), &Session{Plan: p}, &fakeBackend{}),
				got: make(chan colorprofile.Profile, 1)}
			tm := teatest.NewTestModel(t, spy, teatest.WithInitialTermSize(80, 24),
				teatest.WithProgramOptions(ProgramOptions(context.Background(), c.env)...))
			var out []byte
			waitFor := func(text string) {
				var seen []byte
				teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
					seen = append(seen[:0], b...)
					return bytes.Contains(b, []byte(text))
				}, teatest.WithDuration(10*time.Second))
				out = append(out, seen...)
			}
			waitFor("URL of a node")
			tm.Send(tea.KeyPressMsg{Code: 't', Mod: tea.ModCtrl}) // test the connections: green lines
			waitFor("target-cluster")
			tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
			tm.Send(tea.KeyPressMsg{Code: 'y', Text: "y"})
			tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
			rest, _ := io.ReadAll(tm.FinalOutput(t))
			out = append(out, rest...)

			select {
			case got := <-spy.got:
				if got != c.want {
					t.Errorf("the program draws with %s, want %s", got, c.want)
				}
			default:
				t.Error("the program never told its color profile")
			}
			colors := sgrColors(out)
			if c.want == colorprofile.ASCII {
				if len(colors) > 0 {
					t.Fatalf("NO_COLOR, and the output sets colors %q", colors)
				}
				if !bytes.Contains(out, []byte("\x1b[")) {
					t.Fatal("no escape sequence at all: the screen was not drawn")
				}
				return
			}
			if len(colors) == 0 {
				t.Fatal("no color in the output")
			}
			for _, col := range colors {
				if isTrueColor(col) {
					t.Fatalf("true color %q in the output (%s)", col, c.want)
				}
				if c.want == colorprofile.ANSI && (strings.HasPrefix(col, "38") || strings.HasPrefix(col, "48")) {
					t.Fatalf("a 256-color attribute %q on a 16-color terminal", col)
				}
			}
		})
	}
}
