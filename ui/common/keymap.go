package common

import (
	"strings"

	"charm.land/bubbles/v2/key"

	"github.com/esmigrate/esmigrate/i18n"
)

// KeyMap is every key of the wizard, defined once (the shape of soft-serve's pkg/ui/keymap): a screen picks the
// bindings it answers to and lists them in its help; the same action is the same binding everywhere. Two
// bindings share a key only where the screens that use them differ (ctrl+t tests the connections on the first
// screen and selects every shown index on the index screen).
type KeyMap struct {
	// Everywhere.
	Quit, Help, HelpInField, Back, Redraw key.Binding
	// Moving and scrolling.
	Up, Down, PgUp, PgDown, Home, End, Scroll, ScrollUp, ScrollDown, Sideways key.Binding
	// RowUp and RowDown move in a list that takes typed text (the index filter): the arrow keys only.
	RowUp, RowDown key.Binding
	// Going on, saying yes or no.
	Next, Start, Choose, Confirm, Cancel, Yes, No key.Binding
	// Forms.
	FormNext, FormPrev, FormOption key.Binding
	// Checklists and the setup commands.
	Expand, Ack, Rerun, Edit, Panel, Copy, Save, Distro key.Binding
	// The connection screen.
	Test key.Binding
	// The index table.
	Toggle, All, Glob, Sort, SortLeft, SortRight, Reverse, Hidden, Options, Clear key.Binding
	// The metadata screen: an item's details and differences, overwriting a conflict, the lifecycle remedy,
	// the list of requests (tab, as the pre-flight's panel key).
	MetaDetails, Overwrite, Lifecycle, Requests key.Binding
	// The review. Measure probes the shares' throughput; Throttle takes the proposed throttles into the plan (the
	// target's after a typed confirmation).
	SavePlan, Verify, Reindex, Measure, Throttle key.Binding
	// The run. Pause and Unpause are the same key (p): its help says what it does now.
	Stop, AcceptRestart, Leave, Pause, Unpause key.Binding
	// The report.
	CleanSnapshots, CleanFiles, CleanRepos, CleanChoose, Clean, Finish, New key.Binding
	// The start screen of an unfinished migration.
	Resume, StartOver key.Binding
	// esmigrate serve: an operator who watches takes the wizard over.
	TakeOver key.Binding
	// A live migration: the report's way to the catch-up rounds, the Catch-up and Cut-over screens.
	Live, Round, Rounds, ToCutover, AllowDelete, Rollback key.Binding
}

// NewKeyMap builds the key map with its help in a language; without UTF-8 the help names the arrow keys.
func NewKeyMap(l *i18n.Localizer, utf8 bool) *KeyMap {
	// b binds keys (space-separated) with help: the key as the help shows it (UTF-8, then ASCII) and the
	// catalogue key of what it does.
	b := func(keys, shown, shownASCII, desc string) key.Binding {
		if !utf8 && shownASCII != "" {
			shown = shownASCII
		}
		return key.NewBinding(key.WithKeys(strings.Fields(keys)...), key.WithHelp(shown, l.T(desc)))
	}
	return &KeyMap{
		Quit:        b("ctrl+c", "ctrl+c", "", "key.quit"),
		Help:        b("?", "?", "", "key.help"),
		HelpInField: b("f1", "f1", "", "key.help"),
		Back:        b("esc", "esc", "", "key.back"),
		Redraw:      b("ctrl+l", "ctrl+l", "", "key.redraw"),

		Up:         b("up k", "↑/k", "up/k", "key.up"),
		Down:       b("down j", "↓/j", "down/j", "key.down"),
		RowUp:      b("up", "↑", "up", "key.up"),
		RowDown:    b("down", "↓", "down", "key.down"),
		PgUp:       b("pgup", "pgup", "", "key.pgup"),
		PgDown:     b("pgdown", "pgdn", "", "key.pgdown"),
		Home:       b("home", "home", "", "key.home"),
		End:        b("end", "end", "", "key.end"),
		Scroll:     b("up down k j", "↑/↓", "up/down", "key.scroll"),
		ScrollUp:   b("up k pgup", "↑/pgup", "up/pgup", "key.scrollup"),
		ScrollDown: b("down j pgdown", "↓/pgdn", "down/pgdn", "key.scrolldown"),
		Sideways:   b("left right h l", "←/→", "left/right", "key.sideways"),

		Next:    b("enter", "enter", "", "key.next"),
		Start:   b("enter", "enter", "", "key.start"),
		Choose:  b("enter", "enter", "", "key.choose"),
		Confirm: b("enter", "enter", "", "key.accept"),
		Cancel:  b("esc", "esc", "", "key.cancel"),
		Yes:     b("y", "y", "", "key.yes"),
		No:      b("n esc", "n", "", "key.no"),

		FormNext:   b("tab enter", "tab/enter", "", "key.formnext"),
		FormPrev:   b("shift+tab", "shift+tab", "", "key.formprev"),
		FormOption: b("left right", "←/→", "left/right", "key.option"),

		Expand: b("space right", "space", "", "key.expand"),
		Ack:    b("a", "a", "", "key.ack"),
		Rerun:  b("r", "r", "", "key.rerun"),
		Edit:   b("e", "e", "", "key.edit"),
		Panel:  b("tab", "tab", "", "key.panel"),
		Copy:   b("c", "c", "", "key.copy"),
		Save:   b("w", "w", "", "key.save"),
		Distro: b("d", "d", "", "key.distro"),

		Test: b("ctrl+t", "ctrl+t", "", "key.test"),

		Toggle:    b("space", "space", "", "key.toggle"),
		All:       b("ctrl+t", "ctrl+t", "", "key.all"),
		Glob:      b("ctrl+g", "ctrl+g", "", "key.glob"),
		Sort:      b("left right", "←/→", "left/right", "key.sort"),
		SortLeft:  b("left", "←", "left", "key.sort"),
		SortRight: b("right", "→", "right", "key.sort"),
		Reverse:   b("ctrl+r", "ctrl+r", "", "key.reverse"),
		Hidden:    b("ctrl+x", "ctrl+x", "", "key.hidden"),
		Options:   b("ctrl+e", "ctrl+e", "", "key.options"),
		Clear:     b("ctrl+u", "ctrl+u", "", "key.clear"),

		MetaDetails: b("d", "d", "", "key.metadetails"),
		Overwrite:   b("o", "o", "", "key.overwrite"),
		Lifecycle:   b("i", "i", "", "key.lifecycle"),
		Requests:    b("tab", "tab", "", "key.requests"),

		SavePlan: b("w", "w", "", "key.saveplan"),
		Verify:   b("v", "v", "", "key.verify"),
		Reindex:  b("x", "x", "", "key.reindex"),
		Measure:  b("m", "m", "", "key.measure"),
		Throttle: b("u", "u", "", "key.throttle"),

		Stop:          b("q ctrl+c", "q", "", "key.stop"),
		AcceptRestart: b("a", "a", "", "key.acceptrestart"),
		Leave:         b("q", "q", "", "key.quit"),
		Pause:         b("p", "p", "", "key.pause"),
		Unpause:       b("p", "p", "", "key.unpause"),

		CleanSnapshots: b("1", "1", "", "rep.c.snapshots"),
		CleanFiles:     b("2", "2", "", "rep.c.files.short"),
		CleanRepos:     b("3", "3", "", "rep.c.repos"),
		CleanChoose:    b("1 2 3", "1/2/3", "", "key.cleanchoose"),
		Clean:          b("x", "x", "", "key.cleanup"),
		Finish:         b("q ctrl+c", "q", "", "key.finish"),
		New:            b("n", "n", "", "key.new"),

		Resume:    b("r", "r", "", "key.resume"),
		StartOver: b("n", "n", "", "key.startover"),

		TakeOver: b("t", "t", "", "key.takeover"),

		Live:        b("l", "l", "", "key.live"),
		Round:       b("r", "r", "", "key.round"),
		Rounds:      b("a", "a", "", "key.rounds"),
		ToCutover:   b("c", "c", "", "key.tocutover"),
		AllowDelete: b("x", "x", "", "key.allowdelete"),
		Rollback:    b("R", "R", "", "key.rollback"),
	}
}
