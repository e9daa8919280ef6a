package steps

import (
	"fmt"
	"strings"

	"github.com/esmigrate/esmigrate/i18n"
)

// How the engine's checks and events read in a language (package i18n), for the wizard and the headless
// output alike. English is the engine's own text (String); every check, event and error of the engine says
// itself through message keys, so another language gets all of it from its catalogue.

// TitleText is the check's title as a message (the English as it is for a check that has none: one read from
// a file written before checks had keys).
func (c Check) TitleText() i18n.Msg {
	if !c.TitleMsg.IsZero() {
		return c.TitleMsg
	}
	return i18n.Text(c.Title)
}

// TitleIn is the check's title in l's language.
func (c Check) TitleIn(l *i18n.Localizer) string {
	if l == nil {
		return c.Title
	}
	return l.Msg(c.TitleText())
}

// Text is the event as one line in l's language (English: String, the line the headless mode prints).
func (e Event) Text(l *i18n.Localizer) string {
	if l == nil || l.Lang() == "en" {
		return e.String()
	}
	where := l.T("run.phase." + string(e.Phase))
	switch {
	case e.Round > 0:
		where = l.T("run.round", e.Round) + " " + where
	case e.Batch > 0:
		where = l.T("run.batch", e.Batch, e.Batches) + " " + where
	}
	if e.Index != "" {
		where += " " + e.Index
	}
	sep := l.T("ev.sep")
	var what []string
	switch e.Kind {
	case KindProgress:
		what = append(what, fmt.Sprintf("%.0f%%", 100*e.Fraction()))
		if e.Total.Bytes > 0 {
			what[0] += " " + HumanBytes(e.Done.Bytes) + "/" + HumanBytes(e.Total.Bytes)
		}
	case KindCheck:
		if e.Check != nil {
			what = append(what, l.T("ev.check"), l.T("ev.status."+string(e.Check.Status))+" "+e.Check.TitleIn(l))
			if ev := l.Msg(e.Check.EvidenceText()); ev != "" {
				what = append(what, ev)
			}
		}
	case KindRequest:
		what = append(what, l.T("ev.request"))
		if msg := l.Msg(e.MessageText()); msg != "" {
			what = append(what, msg)
		}
		what = append(what, e.Curl)
	case KindStart, KindDone, KindError:
		what = append(what, l.T("ev."+string(e.Kind)))
	}
	switch e.Level {
	case LevelWarn:
		what = append(what, l.T("ev.warn"))
	case LevelError:
		if e.Kind != KindError {
			what = append(what, l.T("ev.errorlevel"))
		}
	}
	if msg := l.Msg(e.MessageText()); msg != "" && e.Kind != KindRequest {
		what = append(what, msg)
	}
	line := where + sep + strings.Join(what, sep)
	if e.Estimate != nil && e.Index == "" && e.Batch > 0 && (e.Kind == KindProgress || e.Kind == KindDone) {
		line += " " + e.Estimate.Text(l)
	}
	return line
}

// Text is the estimate in l's language, for a log line.
func (e Estimate) Text(l *i18n.Localizer) string {
	if l == nil || l.Lang() == "en" {
		return "(" + e.String() + ")"
	}
	if e.ETA > 0 {
		return l.T("ev.overall.eta", 100*e.Fraction(), e.ETA.Round(1e9).String())
	}
	return l.T("ev.overall", 100*e.Fraction())
}
