package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

func hanCount(s string) int {
	n := 0
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			n++
		}
	}
	return n
}

// The language comes from --lang wherever it stands, else from the locale; a Chinese locale without UTF-8 gets
// English (its terminal could not show Chinese), unless --lang zh says otherwise.
func TestCommandLangFollowsTheFlagThenTheLocale(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	for _, c := range []struct {
		args []string
		env  func(string) string
		want string
	}{
		{nil, env(), "en"},
		{nil, env("LANG", "zh_CN.UTF-8"), "zh"},
		{nil, env("LC_ALL", "en_US.UTF-8", "LANG", "zh_CN.UTF-8"), "en"},
		{nil, env("LANG", "zh_CN.GB18030"), "en"},
		{[]string{"run", "--lang", "zh"}, env("LANG", "C"), "zh"},
		{[]string{"--lang=zh", "run"}, env(), "zh"},
		{[]string{"run", "--lang", "en"}, env("LANG", "zh_CN.UTF-8"), "en"},
		{[]string{"run", "--", "--lang", "zh"}, env(), "en"},
	} {
		if got := commandLang(c.args, c.env); got != c.want {
			t.Errorf("%v: %s, want %s", c.args, got, c.want)
		}
	}
}

// --help is in Chinese when the locale says so (cobra's own words too: the headings, the help flag, the help
// and completion commands), and in English otherwise.
func TestHelpIsInTheLocalesLanguage(t *testing.T) {
	clearEnv(t)
	t.Setenv("LANG", "zh_CN.UTF-8")
	for _, args := range [][]string{{"--help"}, {"run", "--help"}, {"resume", "--help"}, {"plan", "--help"}, {"nfs-setup", "--help"},
		{"verify", "--help"}, {"serve", "--help"}, {"help"}, {"completion", "--help"}} {
		code, out := cli(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, out)
		}
		for _, english := range []string{"Usage:", "Flags:", "Global Flags:", "Available Commands:", "help for ", "Help about any command",
			"Generate the autocompletion", "language of the wizard", "Exit codes"} {
			if strings.Contains(out, english) {
				t.Errorf("%v: %q in the Chinese help:\n%s", args, english, out)
			}
		}
		if hanCount(out) < 20 || !strings.Contains(out, "用法：") {
			t.Errorf("%v: the help is not Chinese:\n%s", args, out)
		}
	}
	_, run := cli(t, "run", "--help")
	for _, want := range []string{"退出码：", "2  用法或输入有误", "--plan FILE", "FILE：计划文件", "全局参数：", "--lang"} {
		if !strings.Contains(run, want) {
			t.Errorf("run --help in Chinese lacks %q:\n%s", want, run)
		}
	}

	clearEnv(t)
	_, en := cli(t, "run", "--help")
	if !strings.Contains(en, "Usage:") || !strings.Contains(en, "Exit codes:") || hanCount(en) > 0 {
		t.Errorf("the help without a locale is not English:\n%s", en)
	}
	_, flag := cli(t, "run", "--help", "--lang", "zh")
	if !strings.Contains(flag, "退出码：") {
		t.Errorf("--lang zh does not make the help Chinese:\n%s", flag)
	}
}

// What the commands say when something is wrong is in the command's language; the exit codes do not change.
func TestCommandErrorsInChinese(t *testing.T) {
	clearEnv(t)
	plan, _, _, sent := planFile(t, nil)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--lang", "zh"}, "必须给出 --plan"},
		{[]string{"run", "--lang", "zh", "--plan", "/nonexistent/plan.yaml"}, "/nonexistent/plan.yaml：无法读取计划文件"},
		{[]string{"run", "--lang", "zh", "--plan", plan, "--batch-max-size", "8192pb"}, `--batch-max-size (batch_max_size)："8192pb" 太大`},
		{[]string{"run", "--lang", "zh", "--plan", plan, "--ca-cert", "/nonexistent/ca.pem"}, "源集群：读取 CA 证书"},
		{[]string{"verify", "--lang", "zh", "--state", filepath.Join(t.TempDir(), "none.json")}, "处没有状态文件"},
		{[]string{"nfs-setup", "--lang", "zh", "--client", "es1"}, "缺少 NFS 服务端的名称或地址"},
	} {
		code, out := cli(t, c.args...)
		if code != exitUsage || !strings.Contains(out, c.want) {
			t.Errorf("%v: exit %d, want %d and %q:\n%s", c.args, code, exitUsage, c.want, out)
		}
	}
	if n := sent(); n != 0 {
		t.Errorf("%d connection(s) were made", n)
	}
}

// The headless output follows --lang: a run that cannot reach its clusters says so in Chinese, line by line.
func TestHeadlessOutputFollowsLang(t *testing.T) {
	clearEnv(t)
	plan, _, _, _ := planFile(t, nil)
	code, out := cli(t, "run", "--lang", "zh", "--plan", plan)
	if code != exitError {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{"连接：开始：正在连接", "连接：失败：源集群：连接 http://127.0.0.1:", "esmigrate: 源集群："} {
		if !strings.Contains(out, want) {
			t.Errorf("the Chinese output lacks %q:\n%s", want, out)
		}
	}
	for _, english := range []string{"connecting to", "the connection was closed", "check that"} {
		if strings.Contains(out, english) {
			t.Errorf("%q in the Chinese output:\n%s", english, out)
		}
	}
	_, en := cli(t, "run", "--plan", plan)
	if !strings.Contains(en, "connect: start: connecting to") && !strings.Contains(en, "connecting to") {
		t.Errorf("the English output:\n%s", en)
	}
}

// esmigrate serve's refusals at start are in the command's language too, with what to do.
func TestServeRefusalsInChinese(t *testing.T) {
	clearEnv(t)
	plan, _, _, sent := planFile(t, nil)
	writable := filepath.Join(t.TempDir(), "operators")
	if err := os.WriteFile(writable, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	os.Chmod(writable, 0o666) // whatever the umask
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--lang", "zh", "--plan", plan}, "请给出 --operators 文件"},
		{[]string{"serve", "--lang", "zh", "--plan", plan, "--operators", writable}, "可被其他用户写入（权限 0666）：能写它的人就能放进一个密钥；请执行 chmod go-w " + writable},
		{[]string{"serve", "--lang", "en", "--plan", plan, "--operators", writable}, "may be written by others (mode 0666)"},
	} {
		code, out := cli(t, c.args...)
		if code == exitOK || !strings.Contains(out, c.want) {
			t.Errorf("%v: exit %d, want a refusal with %q:\n%s", c.args, code, c.want, out)
		}
	}
	if n := sent(); n != 0 {
		t.Errorf("%d connection(s) were made", n)
	}
}

// The command line's mistakes that cobra and pflag find are said in the command's language too, with what to
// do, and keep exit code 2.
func TestCobrasMistakesInChinese(t *testing.T) {
	clearEnv(t)
	for _, c := range []struct {
		args   []string
		zh, en string
		notIn  string
	}{
		{[]string{"run", "--bogus"}, "未知参数 --bogus：用 --help 查看可用的参数", "unknown flag --bogus: see the flags with --help", "unknown flag"},
		{[]string{"run", "-x"}, "未知参数 -x", "unknown flag -x: see", "unknown shorthand"},
		{[]string{"run", "--plan"}, "参数 --plan 需要一个值：请写成 --plan 值", "flag --plan needs a value", "needs an argument"},
		{[]string{"bogus"}, "esmigrate 没有 bogus 这个命令", "unknown command bogus for esmigrate", "unknown command"},
		{[]string{"run", "--dry-run=maybe"}, "maybe 不是 --dry-run 的有效值", "maybe is not a valid value for --dry-run", "invalid argument"},
	} {
		code, out := cli(t, append([]string{"--lang", "zh"}, c.args...)...)
		if code != exitUsage || !strings.Contains(out, c.zh) || strings.Contains(out, c.notIn) {
			t.Errorf("%v in Chinese: exit %d, want %d and %q:\n%s", c.args, code, exitUsage, c.zh, out)
		}
		code, out = cli(t, append([]string{"--lang", "en"}, c.args...)...)
		if code != exitUsage || !strings.Contains(out, c.en) {
			t.Errorf("%v in English: exit %d, want %d and %q:\n%s", c.args, code, exitUsage, c.en, out)
		}
	}
}
