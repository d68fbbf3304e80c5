package api_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/platform/api"
	"github.com/switchboardhq/switchboard/platform/testapp"
)

// BenchmarkConcurrentUploads: 8 members upload a 15 MB file each at once, over a
// real listener. Reports the heap the server grew by at its peak, per upload, and
// that as a share of the file (heap/file): a server that held each upload whole
// would be at 1 or more (the request body, the parsed form), one that stores it as
// it reads it a small fraction. The heap is sampled every 2 ms while they run.
func BenchmarkConcurrentUploads(b *testing.B) {
	const uploads, size = 8, 15 << 20
	ta := testapp.New(b)
	admin := ta.NewWorkspace("Uploads")
	sess, cookie, err := ta.App.Accounts.StartSession(ta.Ctx(), admin.User.ID, "127.0.0.1", "upload bench")
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- ta.Server.Serve(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			b.Error(err)
		}
	}()
	var form bytes.Buffer
	w := multipart.NewWriter(&form)
	fw, _ := w.CreateFormFile("file", "scan.pdf")
	_, _ = fw.Write(append([]byte("%PDF-1.4 "), make([]byte, size)...))
	_ = w.Close()
	body, contentType := form.Bytes(), w.FormDataContentType()

	var worst uint64
	b.ResetTimer()
	for range b.N {
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		var peak atomic.Uint64
		stop, sampled := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(sampled)
			for {
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
				select {
				case <-stop:
					return
				case <-time.After(2 * time.Millisecond):
				}
			}
		}()
		var wg sync.WaitGroup
		for range uploads {
			wg.Go(func() {
				req, _ := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+admin.WSPath("/media"), bytes.NewReader(body))
				req.Header.Set("Content-Type", contentType)
				req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: cookie})
				req.Header.Set(api.CSRFHeader, sess.CSRFToken)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				answer, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusCreated {
					b.Errorf("upload: %d %s", res.StatusCode, answer)
				}
			})
		}
		wg.Wait()
		close(stop)
		<-sampled
		if grew := peak.Load() - min(peak.Load(), base.HeapInuse); grew > worst {
			worst = grew
		}
	}
	b.StopTimer()
	perUpload := float64(worst) / uploads
	b.ReportMetric(perUpload/(1<<20), "peak_heap_MB/upload")
	b.ReportMetric(perUpload/size, "heap/file")
}
