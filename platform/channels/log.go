package channels

import (
	"bytes"
	"context"
	"io"
	"log"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// hclogger adapts the host's slog logger to the hclog.Logger go-plugin wants, so that
// go-plugin's own messages and the plugin's structured stderr logs land in the host log
// with a plugin field (set by the caller through With on the slog logger).
type hclogger struct {
	log  *slog.Logger
	name string
}

var _ hclog.Logger = (*hclogger)(nil)

func newHCLogger(log *slog.Logger) hclog.Logger { return &hclogger{log: log} }

func slogLevel(l hclog.Level) slog.Level {
	switch {
	case l <= hclog.Debug: // NoLevel, Trace, Debug
		return slog.LevelDebug
	case l == hclog.Info:
		return slog.LevelInfo
	case l == hclog.Warn:
		return slog.LevelWarn
	default:
		return slog.LevelError
	}
}

func (l *hclogger) Log(level hclog.Level, msg string, args ...any) {
	if level == hclog.Off {
		return
	}
	lvl := slogLevel(level)
	if !l.log.Enabled(context.Background(), lvl) {
		return
	}
	args = renamePluginKey(args)
	if l.name != "" {
		args = append(args, "logger", l.name)
	}
	l.log.Log(context.Background(), lvl, msg, args...)
}

// renamePluginKey renames go-plugin's own "plugin" attribute (the executable's path)
// to plugin_path: "plugin" is the host's field for the plugin id.
func renamePluginKey(args []any) []any {
	for i := 0; i+1 < len(args); i += 2 {
		if k, ok := args[i].(string); ok && k == "plugin" {
			out := slices.Clone(args)
			for j := i; j+1 < len(out); j += 2 {
				if k, ok := out[j].(string); ok && k == "plugin" {
					out[j] = "plugin_path"
				}
			}
			return out
		}
	}
	return args
}

func (l *hclogger) Trace(msg string, args ...any) { l.Log(hclog.Trace, msg, args...) }
func (l *hclogger) Debug(msg string, args ...any) { l.Log(hclog.Debug, msg, args...) }
func (l *hclogger) Info(msg string, args ...any)  { l.Log(hclog.Info, msg, args...) }
func (l *hclogger) Warn(msg string, args ...any)  { l.Log(hclog.Warn, msg, args...) }
func (l *hclogger) Error(msg string, args ...any) { l.Log(hclog.Error, msg, args...) }

func (l *hclogger) enabled(lvl slog.Level) bool { return l.log.Enabled(context.Background(), lvl) }

func (l *hclogger) IsTrace() bool { return l.enabled(slog.LevelDebug) }
func (l *hclogger) IsDebug() bool { return l.enabled(slog.LevelDebug) }
func (l *hclogger) IsInfo() bool  { return l.enabled(slog.LevelInfo) }
func (l *hclogger) IsWarn() bool  { return l.enabled(slog.LevelWarn) }
func (l *hclogger) IsError() bool { return l.enabled(slog.LevelError) }

func (l *hclogger) ImpliedArgs() []any { return nil }

func (l *hclogger) With(args ...any) hclog.Logger {
	return &hclogger{log: l.log.With(renamePluginKey(args)...), name: l.name}
}

func (l *hclogger) Name() string { return l.name }

func (l *hclogger) Named(name string) hclog.Logger {
	if l.name != "" {
		name = l.name + "." + name
	}
	return &hclogger{log: l.log, name: name}
}

func (l *hclogger) ResetNamed(name string) hclog.Logger { return &hclogger{log: l.log, name: name} }

// SetLevel is a no-op: the level is the slog handler's.
func (l *hclogger) SetLevel(hclog.Level) {}

// GetLevel reports the most verbose level the slog handler lets through. go-plugin
// uses it to skip parsing plugin log lines nobody will see.
func (l *hclogger) GetLevel() hclog.Level {
	switch {
	case l.enabled(slog.LevelDebug):
		return hclog.Trace
	case l.enabled(slog.LevelInfo):
		return hclog.Info
	case l.enabled(slog.LevelWarn):
		return hclog.Warn
	case l.enabled(slog.LevelError):
		return hclog.Error
	default:
		return hclog.Off
	}
}

func (l *hclogger) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(l.StandardWriter(opts), "", 0)
}

func (l *hclogger) StandardWriter(*hclog.StandardLoggerOptions) io.Writer {
	return newLineLogger(l.log, slog.LevelInfo, "plugin log")
}

// lineLogger is an io.Writer that logs each complete line it is given as one record.
// go-plugin writes a plugin's os.Stdout and os.Stderr (after sdk.Serve) to it.
type lineLogger struct {
	log   *slog.Logger
	level slog.Level
	msg   string

	mu  sync.Mutex
	buf []byte
}

// maxLineBytes bounds how much of an unterminated line is buffered.
const maxLineBytes = 64 << 10

func newLineLogger(log *slog.Logger, level slog.Level, msg string) *lineLogger {
	return &lineLogger{log: log, level: level, msg: msg}
}

func (w *lineLogger) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.emit(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > maxLineBytes {
		w.emit(w.buf)
		w.buf = nil
	}
	if len(w.buf) == 0 {
		w.buf = nil // do not pin a large backing array
	}
	return len(p), nil
}

func (w *lineLogger) emit(line []byte) {
	s := strings.TrimRight(string(line), "\r")
	if s == "" {
		return
	}
	w.log.Log(context.Background(), w.level, w.msg, "line", s)
}

// tailBuffer keeps the last bytes written to it: a launch's raw stderr, quoted in the
// reason when the plugin dies before it could be reached.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}
