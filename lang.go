package main

import (
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/esmigrate/esmigrate/i18n"
	"github.com/esmigrate/esmigrate/ui"
)

// commandLang is the language of the commands' help, their messages and the headless output: --lang wherever it
// is on the command line (read before cobra parses it: the help texts are made with the commands), else the
// locale (LC_ALL, LC_MESSAGES, LANG), as the wizard chooses. A Chinese locale whose terminal does not take
// UTF-8 gets English, as in the wizard; --lang zh is obeyed as given.
func commandLang(args []string, getenv func(string) string) string {
	flag := ""
	for i, a := range args {
		if a == "--" {
			break
		}
		if v, ok := strings.CutPrefix(a, "--lang="); ok {
			flag = v
		} else if a == "--lang" && i+1 < len(args) {
			flag = args[i+1]
		}
	}
	lang := ui.DetectLang(flag, getenv)
	if flag == "" && lang == "zh" && !ui.DetectUTF8(getenv) {
		return "en"
	}
	return lang
}

// localizeCobra puts the words cobra writes itself into l's language: the usage template's headings, each
// command's help flag, and the help and completion commands (cobra has no catalogue of its own).
func localizeCobra(root *cobra.Command, l *i18n.Localizer) {
	if l.Lang() == "en" {
		return
	}
	root.SetUsageTemplate(usageTemplate(l))
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Flags().Lookup("help") == nil {
			c.Flags().BoolP("help", "h", false, l.T("cmd.flag.help", c.Name()))
		}
		switch c.Name() {
		case "help":
			if c.Parent() == root {
				c.Short, c.Long = l.T("cmd.help.short"), l.T("cmd.help.long")
			}
		case "completion":
			if c.Parent() == root {
				c.Short = l.T("cmd.completion.short")
				c.Long = l.T("cmd.completion.long")
			}
		}
		if c.Parent() != nil && c.Parent().Name() == "completion" {
			c.Short = l.T("cmd.completion.shell", c.Name())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// usageTemplate is cobra's default usage template (v1.10) with its headings from the catalogue.
func usageTemplate(l *i18n.Localizer) string {
	return l.T("cmd.tpl.usage") + `{{if .Runnable}}
  {{.UseLine}}{{end}}{{if .HasAvailableSubCommands}}
  {{.CommandPath}} [command]{{end}}{{if gt (len .Aliases) 0}}

` + l.T("cmd.tpl.aliases") + `
  {{.NameAndAliases}}{{end}}{{if .HasExample}}

` + l.T("cmd.tpl.examples") + `
{{.Example}}{{end}}{{if .HasAvailableSubCommands}}{{$cmds := .Commands}}{{if eq (len .Groups) 0}}

` + l.T("cmd.tpl.commands") + `{{range $cmds}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{else}}{{range $group := .Groups}}

{{.Title}}{{range $cmds}}{{if (and (eq .GroupID $group.ID) (or .IsAvailableCommand (eq .Name "help")))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{if not .AllChildCommandsHaveGroup}}

` + l.T("cmd.tpl.more") + `{{range $cmds}}{{if (and (eq .GroupID "") (or .IsAvailableCommand (eq .Name "help")))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

` + l.T("cmd.tpl.flags") + `
{{.LocalFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableInheritedFlags}}

` + l.T("cmd.tpl.global") + `
{{.InheritedFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasHelpSubCommands}}

` + l.T("cmd.tpl.topics") + `{{range .Commands}}{{if .IsAdditionalHelpTopicCommand}}
  {{rpad .CommandPath .CommandPathPadding}} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableSubCommands}}

` + l.T("cmd.tpl.more.help", "{{.CommandPath}}") + `{{end}}
`
}

// cobraErrors are the mistakes cobra and pflag report in their own English, read back from their text (they
// have no error types to tell them apart) and said as messages with what to do: the command line is the
// operator's first contact, and a Chinese locale should not meet "unknown flag" there.
var cobraErrors = []struct {
	re  *regexp.Regexp
	key string
}{
	{regexp.MustCompile(`^unknown flag: (\S+)$`), "cmd.cobra.unknownflag"},
	{regexp.MustCompile(`^unknown shorthand flag: '(.)' in (\S+)$`), "cmd.cobra.unknownshort"},
	{regexp.MustCompile(`^flag needs an argument: (?:'(.)' in )?(\S+)$`), "cmd.cobra.needsarg"},
	{regexp.MustCompile(`^invalid argument "(.*)" for "(.+)" flag: (.+)$`), "cmd.cobra.invalidarg"},
	{regexp.MustCompile(`^unknown command "(.+)" for "(.+)"`), "cmd.cobra.unknowncmd"},
	{regexp.MustCompile(`^accepts (\d+) arg\(s\), received (\d+)$`), "cmd.cobra.args"},
	{regexp.MustCompile(`^bad flag syntax: (.+)$`), "cmd.cobra.syntax"},
}

// cobraMsg is a mistake of cobra's or pflag's as a message (false when err is not one of theirs).
func cobraMsg(err error) (i18n.Msg, bool) {
	for _, c := range cobraErrors {
		m := c.re.FindStringSubmatch(err.Error())
		if m == nil {
			continue
		}
		var args []any
		for _, a := range m[1:] {
			if a != "" {
				args = append(args, i18n.Name(a))
			}
		}
		switch {
		case c.key == "cmd.cobra.needsarg":
			args = args[len(args)-1:] // the flag as given (-p or --plan)
		case c.key == "cmd.cobra.unknownshort" && m[2] == "-"+m[1]:
			return i18n.M("cmd.cobra.unknownflag", i18n.Name(m[2])), true // -x alone, not "-x in -x"
		}
		return i18n.M(c.key, args...), true
	}
	return i18n.Msg{}, false
}
