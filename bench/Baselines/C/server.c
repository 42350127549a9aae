/*
 * The physical-limit baseline: a minimal single-threaded epoll server for PluggableNet's protocol.
 * Frames are a fixed-width ASCII decimal length header ("00005HELLO") or a 4-byte big-endian length,
 * followed by the payload; the answer is the payload reversed, framed the same way (the Reverse plugin).
 *
 * Level-triggered, one read per wake-up into a per-connection buffer that grows to the frame being
 * received, every answer of a wake-up coalesced into one send, EPOLLOUT armed only after a partial send.
 * Nothing else: no limits, no timeouts, no logging. It is what a careful C programmer writes in an hour,
 * and what the kernel's TCP stack lets one thread do.
 *
 * With BURN > 0 every request first runs BURN dependent 64-bit multiply-adds, the chain of the benchmark's
 * CPU-heavy plugin (bench/Plugins/Burn), so the CPU-heavy scenario compares the same work.
 *
 * usage: server PORT [ascii[N]|binary] [MAX_PAYLOAD] [BURN]     (prints "listening PORT" once ready)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_EVENTS 256
#define INITIAL_BUFFER 4096

typedef struct {
    int fd;
    unsigned char *in;
    size_t in_len, in_cap;
    unsigned char *out;
    size_t out_start, out_len, out_cap;
    int want_out;
} conn;

static int g_binary = 0;
static int g_width = 5;
static size_t g_max_payload = 1024 * 1024;
static long g_burn = 0;
static volatile uint64_t g_sink;

static uint64_t burn(uint64_t x)
{
    for (long i = 0; i < g_burn; i++) x = x * 6364136223846793005ull + 1442695040888963407ull;
    return x;
}

static void die(const char *what) { perror(what); exit(1); }

static void *grow(void *p, size_t *cap, size_t need)
{
    if (need <= *cap) return p;
    size_t c = *cap ? *cap : INITIAL_BUFFER;
    while (c < need) c *= 2;
    void *q = realloc(p, c);
    if (!q) die("realloc");
    *cap = c;
    return q;
}

/* Payload length from a complete header; -1 for a malformed one. */
static long parse_header(const unsigned char *h)
{
    if (g_binary) {
        return (long)(((uint32_t)h[0] << 24) | ((uint32_t)h[1] << 16) | ((uint32_t)h[2] << 8) | h[3]);
    }
    long v = 0;
    for (int i = 0; i < g_width; i++) {
        if (h[i] < '0' || h[i] > '9') return -1;
        v = v * 10 + (h[i] - '0');
    }
    return v;
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

static void close_conn(int ep, conn *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->in);
    free(c->out);
    free(c);
}

static void set_interest(int ep, conn *c, int want_out)
{
    if (c->want_out == want_out) return;
    struct epoll_event ev = { .events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.ptr = c };
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = want_out;
}

/* Sends what is pending; 0 when everything went, 1 when the kernel took less, -1 on error. */
static int flush_out(conn *c)
{
    while (c->out_len > 0) {
        ssize_t n = send(c->fd, c->out + c->out_start, c->out_len, MSG_NOSIGNAL);
        if (n > 0) { c->out_start += (size_t)n; c->out_len -= (size_t)n; continue; }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 1;
        return -1;
    }
    c->out_start = 0;
    return 0;
}

/* Answers every complete frame in the input buffer; -1 on a protocol error. */
static int process(conn *c)
{
    size_t hl = g_binary ? 4 : (size_t)g_width;
    size_t pos = 0;
    while (c->in_len - pos >= hl) {
        long len = parse_header(c->in + pos);
        if (len < 0 || (size_t)len > g_max_payload) return -1;
        size_t frame = hl + (size_t)len;
        if (c->in_len - pos < frame) {
            c->in = grow(c->in, &c->in_cap, frame);  /* room for the whole frame: one read may finish it */
            break;
        }
        if (c->out_start > 0 && c->out_len == 0) c->out_start = 0;
        c->out = grow(c->out, &c->out_cap, c->out_start + c->out_len + frame);
        unsigned char *a = c->out + c->out_start + c->out_len;
        write_header(a, (size_t)len);
        const unsigned char *p = c->in + pos + hl;
        if (g_burn > 0) g_sink ^= burn(len > 0 ? p[0] : 1);
        for (long i = 0; i < len; i++) a[hl + i] = p[len - 1 - i];
        c->out_len += frame;
        pos = pos + frame;
    }
    if (pos > 0) {
        memmove(c->in, c->in + pos, c->in_len - pos);
        c->in_len -= pos;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: %s PORT [ascii[N]|binary] [MAX_PAYLOAD] [BURN]\n", argv[0]); return 2; }
    int port = atoi(argv[1]);
    if (argc > 2) {
        if (strcmp(argv[2], "binary") == 0) g_binary = 1;
        else if (strncmp(argv[2], "ascii", 5) == 0) g_width = argv[2][5] ? atoi(argv[2] + 5) : 5;
        else { fprintf(stderr, "unknown framing %s\n", argv[2]); return 2; }
        if (g_width < 1 || g_width > 10) { fprintf(stderr, "ascii width must be 1..10\n"); return 2; }
    }
    if (argc > 3) g_max_payload = (size_t)atol(argv[3]);
    if (argc > 4) g_burn = atol(argv[4]);
    signal(SIGPIPE, SIG_IGN);

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0) die("socket");
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
    if (listen(lfd, 4096) < 0) die("listen");
    socklen_t alen = sizeof addr;
    getsockname(lfd, (struct sockaddr *)&addr, &alen);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    struct epoll_event lev = { .events = EPOLLIN, .data.ptr = NULL };
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);
    printf("listening %d\n", ntohs(addr.sin_port));
    fflush(stdout);

    struct epoll_event events[MAX_EVENTS];
    for (;;) {
        int n = epoll_wait(ep, events, MAX_EVENTS, -1);
        if (n < 0) { if (errno == EINTR) continue; die("epoll_wait"); }
        for (int i = 0; i < n; i++) {
            conn *c = events[i].data.ptr;
            if (c == NULL) {
                for (int k = 0; k < 64; k++) {
                    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (fd < 0) break;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    conn *nc = calloc(1, sizeof *nc);
                    if (!nc) die("calloc");
                    nc->fd = fd;
                    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = nc };
                    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) { close(fd); free(nc); }
                }
                continue;
            }
            if (events[i].events & EPOLLIN) {
                c->in = grow(c->in, &c->in_cap, c->in_len + 1);
                if (c->in_cap - c->in_len < INITIAL_BUFFER / 4) c->in = grow(c->in, &c->in_cap, c->in_cap + 1);
                ssize_t r = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
                if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) { close_conn(ep, c); continue; }
                if (r > 0) {
                    c->in_len += (size_t)r;
                    if (process(c) < 0) { close_conn(ep, c); continue; }
                }
            }
            int f = flush_out(c);
            if (f < 0) { close_conn(ep, c); continue; }
            set_interest(ep, c, f == 1);
        }
    }
}
