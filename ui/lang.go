package ui

import (
	"os"
	"strings"
)

// DetectLang chooses the language: the flag, else LC_ALL, LC_MESSAGES, LANG (zh_* → Chinese), else English.
func DetectLang(flag string, getenv func(string) string) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	if flag != "" {
		if strings.HasPrefix(strings.ToLower(flag), "zh") {
			return "zh"
		}
		return "en"
	}
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if s := getenv(v); s != "" {
			if strings.HasPrefix(strings.ToLower(s), "zh") {
				return "zh"
			}
			return "en"
		}
	}
	return "en"
}

// DetectUTF8 tells whether the locale says the terminal takes UTF-8 (LC_ALL, LC_CTYPE, LANG, first set wins).
// Without any locale we assume it does not, and draw with ASCII.
func DetectUTF8(getenv func(string) string) bool {
	if getenv == nil {
		getenv = os.Getenv
	}
	for _, v := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if s := strings.ToLower(getenv(v)); s != "" {
			return strings.Contains(s, "utf-8") || strings.Contains(s, "utf8")
		}
	}
	return false
}
