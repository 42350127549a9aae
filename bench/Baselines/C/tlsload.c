/*
 * The TLS load generator: loadgen.c's shape (one thread, epoll, every answer verified byte for byte) with OpenSSL on
 * the client side, so that TLS servers are compared by what they cost, not by what a heavier client takes from the
 * same cores. Protocol v1, 5-digit ASCII headers, the Reverse plugin's answers (docs/protocol.md).
 *
 * usage: tlsload -p PORT [-m rr|hs] [-c CONNS] [-d DEPTH] [-s PAYLOAD] [-t SECONDS] [-w WARMUP] [-a ADDR] [-n SNI] [-V 12|13]
 *   -m rr  requests: CONNS connections, each with DEPTH requests in flight (written in one TLS write), as loadgen -d.
 *   -m hs  handshakes: CONNS connections at a time, each a full handshake (no session resumption), one request and its
 *          answer (so the server has finished its side), then close_notify and close, as a polite client leaves (on
 *          loopback Linux reuses the TIME_WAIT ports, net.ipv4.tcp_tw_reuse=2). "requests" counts completed handshakes.
 * Prints "measuring" and "measured" at the measured window's edges, then one JSON line with bench/LoadGen's
 * LoadResult names plus clientCpuSeconds. Exit 0 only with no error and something measured.
 * Build: cc -O2 -o tlsload tlsload.c -lssl -lcrypto
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FINE 10000
#define MID 9900
#define COARSE 59900
static uint64_t g_hist[FINE + MID + COARSE];

enum { CONNECTING, HANDSHAKING, READY };

typedef struct {
    int fd;
    SSL *ssl;
    int state;
    size_t sent, received, frames_done;
    uint64_t sent_at;      /* rr: the batch's send; hs: the connect */
    int want_out;          /* rr: 1 a batch is to be written, 2 waiting for EPOLLOUT */
} conn;

static SSL_CTX *g_ctx;
static const char *g_sni;
static struct sockaddr_in g_addr;
static unsigned char *g_requests, *g_answers, g_scratch[256 * 1024];
static size_t g_batch, g_frame;
static int g_hs, g_ep;
static long g_wrong, g_closes, g_connect_errors;

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static double cpu_seconds(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + (double)u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

static size_t bucket(uint64_t ns)
{
    if (ns < 1000000ull) return (size_t)(ns / 100);
    if (ns < 100000000ull) return FINE + (size_t)((ns - 1000000ull) / 10000);
    uint64_t b = FINE + MID + (ns - 100000000ull) / 1000000ull;
    return b >= FINE + MID + COARSE ? FINE + MID + COARSE - 1 : (size_t)b;
}

static double bucket_us(size_t b)
{
    if (b < FINE) return (b * 100 + 50) / 1000.0;
    if (b < FINE + MID) return (1000000.0 + (b - FINE) * 10000.0 + 5000.0) / 1000.0;
    return (100000000.0 + (b - FINE - MID) * 1000000.0 + 500000.0) / 1000.0;
}

static double percentile_us(uint64_t total, double p)
{
    if (total == 0) return 0;
    uint64_t rank = (uint64_t)((p / 100.0) * (double)total), seen = 0;
    if (rank >= total) rank = total - 1;
    for (size_t b = 0; b < FINE + MID + COARSE; b++) {
        seen += g_hist[b];
        if (seen > rank) return bucket_us(b);
    }
    return bucket_us(FINE + MID + COARSE - 1);
}

/* The payload loadgen.c and bench/LoadGen send (Payloads.Fill). */
static void fill(unsigned char *p, size_t n, int seed)
{
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)('a' + ((i * 7) + ((size_t)seed * 13) + (i / 26)) % 26);
}

static void watch(conn *c, uint32_t events, int op)
{
    struct epoll_event ev = { .events = events, .data.ptr = c };
    epoll_ctl(g_ep, op, c->fd, &ev);
}

static void drop(conn *c)
{
    if (c->ssl) SSL_free(c->ssl);
    if (c->fd >= 0) close(c->fd);
    c->ssl = NULL;
    c->fd = -1;
}

/* hs: a new connection in the slot: non-blocking connect, the handshake follows on EPOLLOUT. */
static void open_conn(conn *c)
{
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->state = CONNECTING;
    c->received = 0;
    c->sent_at = now_ns();
    if (connect(c->fd, (struct sockaddr *)&g_addr, sizeof g_addr) < 0 && errno != EINPROGRESS) {
        g_connect_errors++;
        drop(c);
        return;
    }
    watch(c, EPOLLOUT, EPOLL_CTL_ADD);
}

/* Drives the handshake; 1 when done, 0 when waiting, -1 on failure. */
static int handshake(conn *c)
{
    if (c->state == CONNECTING) {
        int error = 0;
        socklen_t len = sizeof error;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &len);
        if (error) return -1;
        c->ssl = SSL_new(g_ctx);
        SSL_set_fd(c->ssl, c->fd);
        if (g_sni) SSL_set_tlsext_host_name(c->ssl, g_sni);
        c->state = HANDSHAKING;
    }
    int r = SSL_connect(c->ssl);
    if (r == 1) { c->state = READY; return 1; }
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ) { watch(c, EPOLLIN, EPOLL_CTL_MOD); return 0; }
    if (e == SSL_ERROR_WANT_WRITE) { watch(c, EPOLLOUT, EPOLL_CTL_MOD); return 0; }
    return -1;
}

/* Writes what OpenSSL takes of the rest of the batch; EPOLLOUT armed while it waits. -1 on error. */
static int send_some(conn *c)
{
    while (c->sent < g_batch) {
        ERR_clear_error();
        int n = SSL_write(c->ssl, g_requests + c->sent, (int)(g_batch - c->sent));
        if (n > 0) { c->sent += (size_t)n; continue; }
        int e = SSL_get_error(c->ssl, n);
        if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
            if (c->want_out != 2) { watch(c, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD); c->want_out = 2; }
            return 0;
        }
        return -1;
    }
    if (c->want_out == 2) watch(c, EPOLLIN, EPOLL_CTL_MOD);
    c->want_out = 0;
    return 0;
}

int main(int argc, char **argv)
{
    const char *address = "127.0.0.1", *mode = "rr";
    int port = 0, conns = 32, depth = 1, version = 0;
    size_t payload = 64;
    double duration = 5, warmup = 1;
    int opt;
    while ((opt = getopt(argc, argv, "a:p:m:c:d:s:t:w:n:V:")) != -1) {
        switch (opt) {
        case 'a': address = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'm': mode = optarg; break;
        case 'c': conns = atoi(optarg); break;
        case 'd': depth = atoi(optarg); break;
        case 's': payload = (size_t)atol(optarg); break;
        case 't': duration = atof(optarg); break;
        case 'w': warmup = atof(optarg); break;
        case 'n': g_sni = optarg; break;
        case 'V': version = atoi(optarg); break;
        default: fprintf(stderr, "usage: %s -p PORT [-m rr|hs] [-c CONNS] [-d DEPTH] [-s PAYLOAD] [-t S] [-w S] [-a ADDR] [-n SNI] [-V 12|13]\n", argv[0]); return 2;
        }
    }
    g_hs = strcmp(mode, "hs") == 0;
    if (port < 1 || conns < 1 || depth < 1 || payload < 1 || payload > 99999 || duration <= 0 || warmup < 0
        || (!g_hs && strcmp(mode, "rr") != 0) || (version != 0 && version != 12 && version != 13) || (g_hs && depth != 1)) {
        fprintf(stderr, "bad arguments\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);

    g_ctx = SSL_CTX_new(TLS_client_method());
    /* The servers' certificates are the benchmark's own, self-signed: not verified (a client cost both pay alike). */
    SSL_CTX_set_verify(g_ctx, SSL_VERIFY_NONE, NULL);
    /* Every handshake a full one: no session cache, no tickets. */
    SSL_CTX_set_session_cache_mode(g_ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(g_ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_mode(g_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (version) {
        int v = version == 13 ? TLS1_3_VERSION : TLS1_2_VERSION;
        SSL_CTX_set_min_proto_version(g_ctx, v);
        SSL_CTX_set_max_proto_version(g_ctx, v);
    }

    g_frame = 5 + payload;
    g_batch = g_frame * (size_t)depth;
    g_requests = malloc(g_batch);
    g_answers = malloc(g_batch);
    for (size_t n = payload, i = 5; i-- > 0; n /= 10) g_requests[i] = (unsigned char)('0' + n % 10);
    fill(g_requests + 5, payload, 0);
    memcpy(g_answers, g_requests, 5);
    for (size_t k = 0; k < payload; k++) g_answers[5 + k] = g_requests[5 + payload - 1 - k];
    for (int d = 1; d < depth; d++) {
        memcpy(g_requests + (size_t)d * g_frame, g_requests, g_frame);
        memcpy(g_answers + (size_t)d * g_frame, g_answers, g_frame);
    }

    g_ep = epoll_create1(EPOLL_CLOEXEC);
    g_addr.sin_family = AF_INET;
    g_addr.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, address, &g_addr.sin_addr);
    conn *cs = calloc((size_t)conns, sizeof *cs);
    for (int i = 0; i < conns; i++) {
        cs[i].fd = -1;
        if (g_hs) { open_conn(&cs[i]); continue; }
        /* rr: connect and shake hands blocking, before anything is measured. */
        conn *c = &cs[i];
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->ssl = SSL_new(g_ctx);
        if (connect(c->fd, (struct sockaddr *)&g_addr, sizeof g_addr) < 0 || !SSL_set_fd(c->ssl, c->fd)
            || (g_sni && !SSL_set_tlsext_host_name(c->ssl, g_sni)) || SSL_connect(c->ssl) != 1) {
            ERR_print_errors_fp(stderr);
            g_connect_errors++;
            drop(c);
            continue;
        }
        fcntl(c->fd, F_SETFL, O_NONBLOCK);
        c->state = READY;
        c->want_out = 1;
        c->sent_at = now_ns();
        watch(c, EPOLLIN, EPOLL_CTL_ADD);
    }

    uint64_t start = now_ns(), measure_at = start + (uint64_t)(warmup * 1e9), end_at = measure_at + (uint64_t)(duration * 1e9);
    uint64_t measured_from = 0, measured_to;
    int recording = 0;
    long measured = 0, total = 0;
    double cpu_start = 0, cpu_end = 0, sum_us = 0, max_us = 0;
    int active = conns - (int)g_connect_errors;
    struct epoll_event events[256];
    while (active > 0 || g_hs) {
        uint64_t t = now_ns();
        if (!recording && t >= measure_at) {
            recording = 1; measured_from = t; cpu_start = cpu_seconds();
            printf("measuring\n"); fflush(stdout);
        }
        if (t >= end_at) break;

        for (int i = 0; !g_hs && i < conns; i++) {
            conn *c = &cs[i];
            if (c->fd >= 0 && c->want_out == 1 && send_some(c) < 0) { g_closes++; drop(c); active--; }
        }

        int n = epoll_wait(g_ep, events, 256, 50);
        if (n < 0 && errno != EINTR) { perror("epoll_wait"); return 1; }
        for (int e = 0; e < n; e++) {
            conn *c = events[e].data.ptr;
            if (c->fd < 0) continue;
            if (c->state != READY) {
                int r = handshake(c);
                if (r < 0) { g_connect_errors++; drop(c); open_conn(c); continue; }
                if (r == 0) continue;
                /* hs: the one request, then wait for its answer. */
                ERR_clear_error();
                if (SSL_write(c->ssl, g_requests, (int)g_frame) != (int)g_frame) { g_closes++; drop(c); open_conn(c); continue; }
                watch(c, EPOLLIN, EPOLL_CTL_MOD);
                continue;
            }
            if (!g_hs && (events[e].events & EPOLLOUT) && c->want_out == 2 && send_some(c) < 0) { g_closes++; drop(c); active--; continue; }
            if (!(events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;

            /* Everything OpenSSL can give now: records already read into its buffer raise no new event. */
            int failed = 0;
            for (;;) {
                size_t want = (g_hs ? g_frame : g_batch) - c->received;
                ERR_clear_error();
                int r = SSL_read(c->ssl, g_scratch, (int)(want < sizeof g_scratch ? want : sizeof g_scratch));
                if (r <= 0) {
                    int err = SSL_get_error(c->ssl, r);
                    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) failed = 1;
                    break;
                }
                if (memcmp(g_scratch, g_answers + c->received, (size_t)r) != 0) { g_wrong++; failed = 2; break; }
                c->received += (size_t)r;
                size_t frames = c->received / g_frame;
                if (g_hs) {
                    if (c->received < g_frame) continue;
                    uint64_t lat = now_ns() - c->sent_at;
                    total++;
                    if (recording) {
                        g_hist[bucket(lat)]++; measured++;
                        double us = lat / 1000.0; sum_us += us; if (us > max_us) max_us = us;
                    }
                    SSL_shutdown(c->ssl);
                    drop(c);
                    open_conn(c);
                    break;
                }
                if (frames > c->frames_done) {
                    uint64_t lat = now_ns() - c->sent_at;
                    long k = (long)(frames - c->frames_done);
                    total += k;
                    if (recording) {
                        g_hist[bucket(lat)] += (uint64_t)k; measured += k;
                        double us = lat / 1000.0; sum_us += us * (double)k; if (us > max_us) max_us = us;
                    }
                    c->frames_done = frames;
                }
                if (c->received == g_batch) {
                    c->received = 0; c->frames_done = 0; c->sent = 0; c->want_out = 1; c->sent_at = now_ns();
                    break;
                }
            }
            if (failed) {
                if (failed == 1) g_closes++;
                drop(c);
                if (g_hs) open_conn(c); else active--;
            }
        }
    }
    measured_to = now_ns();
    if (recording) { cpu_end = cpu_seconds(); printf("measured\n"); }
    else measured_from = measured_to;
    double seconds = (measured_to - measured_from) / 1e9;
    printf("{\"address\":\"%s\",\"port\":%d,\"connections\":%d,\"depth\":%d,\"payloadBytes\":%zu,\"framing\":\"ascii5\",\"protocol\":\"v1\",\"logic\":\"reverse\","
           "\"measuredSeconds\":%.6f,\"requests\":%ld,\"totalRequests\":%ld,\"requestsPerSecond\":%.3f,"
           "\"p50Us\":%.3f,\"p99Us\":%.3f,\"p999Us\":%.3f,\"maxUs\":%.3f,\"meanUs\":%.3f,"
           "\"wrongAnswers\":%ld,\"unexpectedCloses\":%ld,\"connectErrors\":%ld,\"clientCpuSeconds\":%.6f}\n",
           address, port, conns, depth, payload, seconds, measured, total, seconds > 0 ? measured / seconds : 0,
           percentile_us((uint64_t)measured, 50), percentile_us((uint64_t)measured, 99), percentile_us((uint64_t)measured, 99.9),
           max_us, measured ? sum_us / (double)measured : 0, g_wrong, g_closes, g_connect_errors, cpu_end - cpu_start);
    return (g_wrong + g_closes + g_connect_errors == 0 && total > 0) ? 0 : 1;
}
