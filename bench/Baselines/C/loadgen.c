/*
 * A light load generator for PluggableNet's protocol: one thread, epoll, N connections each keeping DEPTH
 * requests in flight (written in one send), every answer verified byte for byte (header and reversed payload),
 * latency per answer measured from its batch's send. It exists so the client costs as little CPU as possible
 * and does not hide differences between servers that share its cores.
 *
 * usage: loadgen -p PORT [-c CONNS] [-d DEPTH] [-s PAYLOAD] [-f ascii[N]|binary] [-t SECONDS] [-w WARMUP] [-a ADDR] [-P 1|2]
 * -P 2 speaks protocol v2 (docs/protocol.md, "Version 2"): the preface, the server's preface and SETTINGS read at connect, then
 * REQUEST frames whose ids are rewritten per batch (strictly increasing), every ANSWER matched by id (each id of the
 * batch once, in any order) and its payload compared with the expected answer.
 * Prints "measuring" when the measured window opens, "measured" when it closes, then one JSON line with the
 * same names as bench/LoadGen's LoadResult, plus clientCpuSeconds. Exit 0 only with no error and answers seen.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

/* Latency buckets: 100 ns steps to 1 ms, 10 us steps to 100 ms, 1 ms steps to 60 s (clamped). */
#define FINE 10000
#define MID 9900
#define COARSE 59900
static uint64_t g_hist[FINE + MID + COARSE];

typedef struct {
    int fd;
    size_t sent;          /* bytes of the batch sent so far */
    size_t received;      /* bytes of the batch's answers received so far */
    size_t frames_done;
    uint64_t sent_at;
    unsigned char *requests, *answers;
    size_t batch;
    int want_out;         /* 1: a batch is to be sent, 2: partly sent, EPOLLOUT armed */
    /* v2 only */
    unsigned char *rx;    /* the batch's answer frames as received */
    size_t parsed;        /* bytes of rx verified */
    uint32_t next_id, first_id;
    unsigned char *seen;  /* per id of the batch: answered */
} client;

static int g_binary = 0, g_width = 5, g_v2 = 0;
#define V2_HEADER 10
static size_t g_header = 5;

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
    uint64_t rank = (uint64_t)((p / 100.0) * (double)total);
    if (rank >= total) rank = total - 1;
    uint64_t seen = 0;
    for (size_t b = 0; b < FINE + MID + COARSE; b++) {
        seen += g_hist[b];
        if (seen > rank) return bucket_us(b);
    }
    return bucket_us(FINE + MID + COARSE - 1);
}

static void write_header(unsigned char *h, size_t len)
{
    if (g_binary) {
        h[0] = (unsigned char)(len >> 24); h[1] = (unsigned char)(len >> 16);
        h[2] = (unsigned char)(len >> 8); h[3] = (unsigned char)len;
        return;
    }
    for (int i = g_width - 1; i >= 0; i--) { h[i] = (unsigned char)('0' + len % 10); len /= 10; }
}

/* The payload bench/LoadGen sends (Payloads.Fill), so both clients load servers the same way. */
static void fill(unsigned char *p, size_t n, int seed)
{
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)('a' + ((i * 7) + ((size_t)seed * 13) + (i / 26)) % 26);
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16); p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v;
}

static uint32_t get32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static int read_exactly(int fd, unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t r = recv(fd, p, n, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r; n -= (size_t)r;
    }
    return 0;
}

/* Blocking, before the connection joins epoll: our preface, then the server's preface and its SETTINGS frame. */
static int v2_handshake(int fd)
{
    static const unsigned char preface[8] = { 'P', 'N', 'E', 'T', '/', '2', '\r', '\n' };
    unsigned char start[8 + V2_HEADER], skip[16384];
    struct timeval tv = { .tv_sec = 5 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (send(fd, preface, sizeof preface, MSG_NOSIGNAL) != (ssize_t)sizeof preface) return -1;
    if (read_exactly(fd, start, sizeof start) < 0 || memcmp(start, preface, 8) != 0 || start[8 + 4] != 9) return -1;
    uint32_t len = get32(start + 8);
    if (len > sizeof skip || read_exactly(fd, skip, len) < 0) return -1;
    tv.tv_sec = 0;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return 0;
}

/* Verifies the complete ANSWER frames received so far; returns the number verified, or -1 for a wrong frame. */
static long v2_verify(client *c, size_t frame, size_t payload, const unsigned char *expected, int depth)
{
    long done = 0;
    while (c->received - c->parsed >= V2_HEADER) {
        unsigned char *f = c->rx + c->parsed;
        uint32_t id = get32(f + 6) - c->first_id;
        if (f[4] != 2 || get32(f) != payload || id >= (uint32_t)depth || c->seen[id]) return -1;
        if (c->received - c->parsed < frame) break;
        if (memcmp(f + V2_HEADER, expected, payload) != 0) return -1;
        c->seen[id] = 1;
        c->parsed += frame;
        done++;
    }
    return done;
}

/* Fresh ids for the next batch: strictly increasing over the connection. */
static void v2_next_batch(client *c, size_t frame, int depth)
{
    c->first_id = c->next_id;
    for (int d = 0; d < depth; d++) put32(c->requests + (size_t)d * frame + 6, c->next_id++);
    memset(c->seen, 0, (size_t)depth);
    c->parsed = 0;
}

/* Writes what the kernel takes of the batch; want_out 2 (EPOLLOUT armed) while a rest is left. -1 on error. */
static int send_some(int ep, client *c)
{
    while (c->sent < c->batch) {
        ssize_t n = send(c->fd, c->requests + c->sent, c->batch - c->sent, MSG_NOSIGNAL);
        if (n > 0) { c->sent += (size_t)n; continue; }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (c->want_out != 2) {
                struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                c->want_out = 2;
            }
            return 0;
        }
        return -1;
    }
    if (c->want_out == 2) {
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    }
    c->want_out = 0;
    return 0;
}

int main(int argc, char **argv)
{
    const char *address = "127.0.0.1", *framing = "ascii5";
    int port = 0, conns = 32, depth = 1;
    size_t payload = 64;
    double duration = 10, warmup = 2;
    int opt;
    while ((opt = getopt(argc, argv, "a:p:c:d:s:f:t:w:P:")) != -1) {
        switch (opt) {
        case 'a': address = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'c': conns = atoi(optarg); break;
        case 'd': depth = atoi(optarg); break;
        case 's': payload = (size_t)atol(optarg); break;
        case 'f': framing = optarg; break;
        case 't': duration = atof(optarg); break;
        case 'w': warmup = atof(optarg); break;
        case 'P': g_v2 = atoi(optarg) == 2; if (atoi(optarg) != 1 && atoi(optarg) != 2) { fprintf(stderr, "-P is 1 or 2\n"); return 2; } break;
        default: fprintf(stderr, "usage: %s -p PORT [-c CONNS] [-d DEPTH] [-s PAYLOAD] [-f ascii[N]|binary] [-t S] [-w S] [-P 1|2]\n", argv[0]); return 2;
        }
    }
    if (strcmp(framing, "binary") == 0) { g_binary = 1; g_header = 4; }
    else if (strncmp(framing, "ascii", 5) == 0) { g_width = framing[5] ? atoi(framing + 5) : 5; g_header = (size_t)g_width; }
    else { fprintf(stderr, "unknown framing %s\n", framing); return 2; }
    if (port < 1 || conns < 1 || depth < 1 || payload < 1 || duration <= 0 || warmup < 0 || g_width < 1 || g_width > 10) {
        fprintf(stderr, "bad arguments\n");
        return 2;
    }
    if (g_v2 && (depth > 100 || payload > 99999)) {
        fprintf(stderr, "v2: depth at most 100 (MaxConcurrentRequests) and payload at most 99999\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (g_v2) g_header = V2_HEADER;

    size_t frame = g_header + payload, batch = frame * (size_t)depth;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    client *cs = calloc((size_t)conns, sizeof *cs);
    unsigned char *scratch = malloc(256 * 1024);
    long connect_errors = 0, wrong = 0, closes = 0;
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    inet_pton(AF_INET, address, &addr.sin_addr);
    int one = 1;
    for (int i = 0; i < conns; i++) {
        client *c = &cs[i];
        c->batch = batch;
        c->requests = malloc(batch);
        c->answers = malloc(batch);
        if (g_v2) {
            put32(c->requests, (uint32_t)payload);
            c->requests[4] = 1; c->requests[5] = 0; put32(c->requests + 6, 0);
            c->rx = malloc(batch);
            c->seen = calloc((size_t)depth, 1);
            c->next_id = 1;
        } else {
            write_header(c->requests, payload);
        }
        fill(c->requests + g_header, payload, i);
        write_header(c->answers, payload);
        for (size_t k = 0; k < payload; k++) c->answers[g_header + k] = c->requests[g_header + payload - 1 - k];
        for (int d = 1; d < depth; d++) {
            memcpy(c->requests + (size_t)d * frame, c->requests, frame);
            memcpy(c->answers + (size_t)d * frame, c->answers, frame);
        }
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
            connect_errors++;
            if (c->fd >= 0) close(c->fd);
            c->fd = -1;
            continue;
        }
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (g_v2 && v2_handshake(c->fd) < 0) {
            connect_errors++;
            close(c->fd);
            c->fd = -1;
            continue;
        }
        fcntl(c->fd, F_SETFL, O_NONBLOCK);
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
    }

    uint64_t start = now_ns();
    uint64_t measure_at = start + (uint64_t)(warmup * 1e9), end_at = measure_at + (uint64_t)(duration * 1e9);
    int recording = 0;
    long measured = 0, total = 0;
    double cpu_start = 0, cpu_end = 0;
    uint64_t measured_from = 0, measured_to = 0;
    double sum_us = 0, max_us = 0;
    int active = conns - (int)connect_errors;

    /* Start every connection's first batch. */
    for (int i = 0; i < conns; i++) if (cs[i].fd >= 0) {
        if (g_v2) v2_next_batch(&cs[i], frame, depth);
        cs[i].sent_at = now_ns(); cs[i].want_out = 1;
    }

    struct epoll_event events[256];
    while (active > 0) {
        uint64_t t = now_ns();
        if (!recording && t >= measure_at) {
            recording = 1; measured_from = t; cpu_start = cpu_seconds();
            printf("measuring\n"); fflush(stdout);
        }
        if (t >= end_at) break;

        /* Sends first: a batch is written right after its answers are complete; a partial send waits for EPOLLOUT. */
        for (int i = 0; i < conns; i++) {
            client *c = &cs[i];
            if (c->fd < 0 || c->want_out != 1) continue;
            if (send_some(ep, c) < 0) { closes++; close(c->fd); c->fd = -1; active--; }
        }

        int n = epoll_wait(ep, events, 256, 50);
        if (n < 0 && errno != EINTR) { perror("epoll_wait"); return 1; }
        for (int e = 0; e < n; e++) {
            client *c = events[e].data.ptr;
            if (c->fd < 0) continue;
            if ((events[e].events & EPOLLOUT) && c->want_out == 2 && send_some(ep, c) < 0) {
                closes++; close(c->fd); c->fd = -1; active--; continue;
            }
            if (!(events[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
            size_t want = batch - c->received;
            unsigned char *into = g_v2 ? c->rx + c->received : scratch;
            ssize_t r = recv(c->fd, into, g_v2 || want < 256 * 1024 ? want : 256 * 1024, 0);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) { closes++; close(c->fd); c->fd = -1; active--; continue; }
            if (r < 0) continue;
            size_t frames;
            if (g_v2) {
                c->received += (size_t)r;
                long verified = v2_verify(c, frame, payload, c->answers + g_header, depth);
                if (verified < 0) { wrong++; close(c->fd); c->fd = -1; active--; continue; }
                frames = c->frames_done + (size_t)verified;
            } else {
                if (memcmp(scratch, c->answers + c->received, (size_t)r) != 0) { wrong++; close(c->fd); c->fd = -1; active--; continue; }
                c->received += (size_t)r;
                frames = c->received / frame;
            }
            if (frames > c->frames_done) {
                uint64_t done = now_ns(), lat = done - c->sent_at;
                long k = (long)(frames - c->frames_done);
                total += k;
                if (recording) {
                    g_hist[bucket(lat)] += (uint64_t)k;
                    measured += k;
                    double us = lat / 1000.0;
                    sum_us += us * (double)k;
                    if (us > max_us) max_us = us;
                }
                c->frames_done = frames;
            }
            if (c->received == batch) {
                c->received = 0; c->frames_done = 0; c->sent = 0; c->want_out = 1;
                if (g_v2) v2_next_batch(c, frame, depth);
                c->sent_at = now_ns();
            }
        }
    }
    measured_to = now_ns();
    if (recording) { cpu_end = cpu_seconds(); printf("measured\n"); }
    else { measured_from = measured_to; }
    double seconds = (measured_to - measured_from) / 1e9;
    printf("{\"address\":\"%s\",\"port\":%d,\"connections\":%d,\"depth\":%d,\"payloadBytes\":%zu,\"framing\":\"%s\",\"protocol\":\"%s\",\"logic\":\"reverse\","
           "\"measuredSeconds\":%.6f,\"requests\":%ld,\"totalRequests\":%ld,\"requestsPerSecond\":%.3f,"
           "\"p50Us\":%.3f,\"p99Us\":%.3f,\"p999Us\":%.3f,\"maxUs\":%.3f,\"meanUs\":%.3f,"
           "\"wrongAnswers\":%ld,\"unexpectedCloses\":%ld,\"connectErrors\":%ld,\"clientCpuSeconds\":%.6f}\n",
           address, port, conns, depth, payload, g_v2 ? "v2" : g_binary ? "binary" : framing, g_v2 ? "v2" : "v1", seconds, measured, total,
           seconds > 0 ? measured / seconds : 0, percentile_us((uint64_t)measured, 50), percentile_us((uint64_t)measured, 99),
           percentile_us((uint64_t)measured, 99.9), max_us, measured ? sum_us / (double)measured : 0, wrong, closes, connect_errors,
           cpu_end - cpu_start);
    return (wrong + closes + connect_errors == 0 && total > 0) ? 0 : 1;
}
