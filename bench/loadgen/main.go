// Command loadgen issues signed GET requests against a Pandora-compatible
// server for a fixed duration and prints a JSON summary:
//
//	{"requests":N,"errors":N,"rps":F,"p50_ms":F,"p90_ms":F,"p99_ms":F,"max_ms":F,
//	 "cpu_ms_per_request":F}
//
// cpu_ms_per_request is the load generator's own CPU (user + system) over the measured
// window, per measured request: on a shared machine it competes with the server for cores.
//
// Every request is signed afresh (Go SDK form, spec §2.2: the Date header is
// the current time and the signed resource is the path without the query).
// Connections are kept alive; any status other than 200 counts as an error.
package main

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Summary is the printed result.
type Summary struct {
	Requests int64   `json:"requests"`
	Errors   int64   `json:"errors"`
	RPS      float64 `json:"rps"`
	P50      float64 `json:"p50_ms"`
	P90      float64 `json:"p90_ms"`
	P99      float64 `json:"p99_ms"`
	Max      float64 `json:"max_ms"`
	CPU      float64 `json:"cpu_ms_per_request"`
}

// Config is one load run.
type Config struct {
	BaseURL     string // http://host:port, no trailing slash
	AccessKey   string
	SecretKey   string
	Path        string // request path, optionally with a query string
	Connections int
	Duration    time.Duration
	Warmup      time.Duration
}

// authorization signs a request the way the Go SDK does (spec §2.2).
func authorization(ak, sk, method, path, date string) string {
	m := hmac.New(sha1.New, []byte(sk))
	m.Write([]byte(method + "\n\n\n" + date + "\n" + path))
	return "Pandora " + ak + ":" + base64.URLEncoding.EncodeToString(m.Sum(nil))
}

type workerResult struct {
	latencies []time.Duration
	errors    int64
}

// Run performs the load run and returns its summary.
func Run(cfg Config) (Summary, error) {
	if cfg.Connections < 1 {
		return Summary{}, errors.New("connections must be >= 1")
	}
	if cfg.Duration <= 0 {
		return Summary{}, errors.New("duration must be > 0")
	}
	u, err := url.Parse(cfg.BaseURL + cfg.Path)
	if err != nil {
		return Summary{}, err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return Summary{}, fmt.Errorf("url %q must be http or https", cfg.BaseURL)
	}
	target := u.String()
	signPath := u.Path
	transport := &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        cfg.Connections,
		MaxIdleConnsPerHost: cfg.Connections,
		MaxConnsPerHost:     cfg.Connections,
		IdleConnTimeout:     90 * time.Second,
	}
	defer transport.CloseIdleConnections()
	hc := &http.Client{Transport: transport, Timeout: 30 * time.Second}

	start := time.Now()
	measureFrom := start.Add(cfg.Warmup)
	end := measureFrom.Add(cfg.Duration)
	results := make([]workerResult, cfg.Connections)
	cpuDone := make(chan time.Duration, 1)
	go func() { // this process's CPU over the measured window
		time.Sleep(time.Until(measureFrom))
		first := cpuTime()
		time.Sleep(time.Until(end))
		cpuDone <- cpuTime() - first
	}()
	var wg sync.WaitGroup
	for w := 0; w < cfg.Connections; w++ {
		wg.Add(1)
		go func(res *workerResult) {
			defer wg.Done()
			for {
				t0 := time.Now()
				if !t0.Before(end) {
					return
				}
				ok := doOne(hc, target, signPath, cfg.AccessKey, cfg.SecretKey)
				t1 := time.Now()
				if t0.Before(measureFrom) || t1.After(end) {
					continue // warm-up, or finished after the window closed
				}
				res.latencies = append(res.latencies, t1.Sub(t0))
				if !ok {
					res.errors++
				}
			}
		}(&results[w])
	}
	wg.Wait()

	var all []time.Duration
	var errs int64
	for _, r := range results {
		all = append(all, r.latencies...)
		errs += r.errors
	}
	s := summarize(all, errs, cfg.Duration)
	if s.Requests > 0 {
		s.CPU = round3(float64(<-cpuDone) / float64(time.Millisecond) / float64(s.Requests))
	}
	return s, nil
}

// cpuTime is the user + system CPU this process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func doOne(hc *http.Client, target, signPath, ak, sk string) bool {
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		return false
	}
	date := time.Now().UTC().Format(http.TimeFormat)
	req.Header.Set("Date", date)
	req.Header.Set("Authorization", authorization(ak, sk, http.MethodGet, signPath, date))
	resp, err := hc.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body) // drain so the connection is reused
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// summarize computes the summary; percentiles use the nearest-rank method.
func summarize(lat []time.Duration, errs int64, window time.Duration) Summary {
	s := Summary{Requests: int64(len(lat)), Errors: errs}
	if window > 0 {
		s.RPS = round3(float64(len(lat)) / window.Seconds())
	}
	if len(lat) == 0 {
		return s
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	s.P50 = ms(percentile(lat, 50))
	s.P90 = ms(percentile(lat, 90))
	s.P99 = ms(percentile(lat, 99))
	s.Max = ms(lat[len(lat)-1])
	return s
}

// percentile returns the nearest-rank p-th percentile of sorted xs.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	if rank < 1 {
		rank = 1
	}
	if rank > len(sorted) {
		rank = len(sorted)
	}
	return sorted[rank-1]
}

func ms(d time.Duration) float64 { return round3(float64(d) / float64(time.Millisecond)) }

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

func main() {
	var cfg Config
	flag.StringVar(&cfg.BaseURL, "url", os.Getenv("TIDEMILL_URL"), "server base URL, e.g. http://127.0.0.1:9000 (default $TIDEMILL_URL)")
	flag.StringVar(&cfg.AccessKey, "ak", os.Getenv("TIDEMILL_ACCESS_KEY"), "access key (default $TIDEMILL_ACCESS_KEY)")
	flag.StringVar(&cfg.SecretKey, "sk", os.Getenv("TIDEMILL_SECRET_KEY"), "secret key (default $TIDEMILL_SECRET_KEY)")
	flag.StringVar(&cfg.Path, "path", "/v2/datasources", "request path (query allowed; it is not signed)")
	flag.IntVar(&cfg.Connections, "c", 16, "concurrent connections")
	flag.DurationVar(&cfg.Duration, "d", 10*time.Second, "measured duration")
	flag.DurationVar(&cfg.Warmup, "warmup", 2*time.Second, "warm-up before measuring (not counted)")
	flag.Parse()
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.BaseURL == "" || cfg.AccessKey == "" || cfg.SecretKey == "" {
		fmt.Fprintln(os.Stderr, "loadgen: -url, -ak and -sk are required")
		os.Exit(2)
	}
	if !strings.HasPrefix(cfg.Path, "/") {
		fmt.Fprintln(os.Stderr, "loadgen: -path must start with /")
		os.Exit(2)
	}
	s, err := Run(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	out, _ := json.Marshal(s)
	fmt.Println(string(out))
}
