/*
 * The fan-out load generator (issue 21, "Measured"): N receiving connections and one sender to a broadcast server
 * speaking v1 with 5 ASCII digit headers (bench/Baselines/C/broadcast.c, or the host with bench/Plugins/Broadcast).
 *
 * 1. Registration: every connection (the N receivers and the sender) sends "?" and waits for "ok", at most 256 at a
 *    time, so everyone is in the room before the first broadcast.
 * 2. Phases, each M messages "!" + S payload bytes sent on the sender connection; the payload starts with the message's
 *    sequence number (10 decimal digits), the rest is derived from it, so every receiver's stream must be exactly the
 *    frames 0, 1, 2, ... byte for byte: that checks count, order and content at once.
 *    - warmup: W messages as in paced, then (when burst is measured) M more in one send, not measured: JIT, pools,
 *      queues and buffers grown, so what the phases measure is the steady state;
 *    - paced: one message at a time, the next sent when the previous one reached all N receivers: each message's
 *      fan-out time (send -> its last delivery) is measured alone, with nothing queued behind it (the "one
 *      message broadcast to 10,000 connections");
 *    - burst: the M messages written in one send: the server's throughput when messages queue up and it may batch.
 *    A phase reports deliveries per second (N x M / first send -> last delivery) and the time from the send of its
 *    last message to that message's last delivery.
 *    With -i SECONDS, between the warm-up and paced: an idle window that long, everything open and nothing sent (the
 *    server's background, for its allocation and CPU), reported as phase "idle".
 * Receivers are spread over T threads (-T), each with its own epoll; a thread timestamps every read, counts complete
 * frames per message and tells the sender when all its connections have a message. The sender's own copies are read
 * and verified but not counted.
 *
 * usage: fanout -p PORT [-a ADDR] [-c N] [-m M] [-s S] [-w W] [-x paced,burst] [-T THREADS] [-t PHASE_TIMEOUT] [-i IDLE] [-S]
 * -S: after each "measuring PHASE" and "measured PHASE" line, wait for SIGUSR1 (the driver has sampled the server),
 * so the window's edges are exact. Prints one JSON line per phase; exit 0 only when every receiver got every message.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEADER 5
#define SEQ_DIGITS 10
#define MAX_REGISTERING 256
#define READ_CHUNK (64 * 1024)

static const unsigned char OK_FRAME[] = "00002ok";
#define OK_LEN 7

typedef struct {
    int fd;
    int sender;           /* the sender connection: verified, not counted */
    int thread;
    int state;            /* registration: 0 connecting, 1 "?" sent, 2 registered */
    size_t offset;        /* bytes of the expected stream received (registration: of OK_FRAME) */
} client;

typedef struct {
    int index, ep;
    pthread_t id;
    client **conns;
    size_t count;         /* receivers (the sender not counted) */
    uint32_t *done;       /* per message: this thread's receivers that have it */
    uint64_t *done_at;    /* per message: when the last of them got it */
} reader;

static size_t g_frame;                     /* HEADER + S */
static unsigned char *g_stream;            /* every broadcast frame, in order */
static size_t g_messages;                  /* frames in g_stream */
static int g_threads = 1;
static reader *g_readers;
static atomic_uint *g_threads_done;        /* per message: readers that have it everywhere */
static uint64_t *g_sent_at;                /* per message */
static sem_t g_completed;                  /* posted once per message delivered to all N */
static atomic_int g_stop, g_failed;
static atomic_long g_wrong, g_closes;

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

static void fail(const char *what)
{
    fprintf(stderr, "fanout: %s\n", what);
    exit(1);
}

/* Message k's frame: header, then "!"'s rest as sent: the sequence number and bytes derived from it. */
static void build_stream(size_t payload)
{
    g_stream = malloc(g_messages * g_frame);
    if (!g_stream) fail("out of memory");
    for (size_t k = 0; k < g_messages; k++) {
        unsigned char *f = g_stream + k * g_frame;
        size_t v = payload;
        for (int i = HEADER - 1; i >= 0; i--) { f[i] = (unsigned char)('0' + v % 10); v /= 10; }
        uint64_t s = k;
        for (int i = SEQ_DIGITS - 1; i >= 0; i--) { f[HEADER + i] = (unsigned char)('0' + s % 10); s /= 10; }
        for (size_t i = SEQ_DIGITS; i < payload; i++) f[HEADER + i] = (unsigned char)('a' + (i * 7 + k) % 26);
    }
}

static void raise_fd_limit(size_t needed)
{
    struct rlimit l;
    if (getrlimit(RLIMIT_NOFILE, &l) < 0) fail("getrlimit(RLIMIT_NOFILE) failed");
    if (l.rlim_cur >= needed) return;
    if (l.rlim_max < needed) {
        fprintf(stderr, "fanout: %zu connections need %zu file descriptors; the hard limit is %llu: raise it (ulimit -Hn, limits.conf) or lower -c\n",
                needed - 64, needed, (unsigned long long)l.rlim_max);
        exit(1);
    }
    l.rlim_cur = l.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &l) < 0) { perror("setrlimit(RLIMIT_NOFILE)"); exit(1); }
}

/* A reader has message k on all its receivers: the last reader to get there tells the sender. */
static void reader_has(reader *r, size_t k, uint64_t at)
{
    r->done_at[k] = at;
    if (atomic_fetch_add_explicit(&g_threads_done[k], 1, memory_order_acq_rel) + 1 == (unsigned)g_threads) sem_post(&g_completed);
}

static void drop(client *c, int wrong)
{
    if (wrong) atomic_fetch_add(&g_wrong, 1); else atomic_fetch_add(&g_closes, 1);
    atomic_store(&g_failed, 1);
    close(c->fd);
    c->fd = -1;
}

static void *read_loop(void *arg)
{
    reader *r = arg;
    unsigned char *scratch = malloc(READ_CHUNK);
    struct epoll_event events[512];
    size_t total = g_messages * g_frame;
    while (!atomic_load_explicit(&g_stop, memory_order_relaxed)) {
        int n = epoll_wait(r->ep, events, 512, 100);
        if (n < 0 && errno != EINTR) { perror("epoll_wait"); atomic_store(&g_failed, 1); break; }
        for (int e = 0; e < n; e++) {
            client *c = events[e].data.ptr;
            if (c->fd < 0) continue;
            ssize_t got = recv(c->fd, scratch, READ_CHUNK, MSG_DONTWAIT);
            if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (got <= 0) { drop(c, 0); continue; }
            uint64_t at = now_ns();
            if (c->offset + (size_t)got > total || memcmp(scratch, g_stream + c->offset, (size_t)got) != 0) { drop(c, 1); continue; }
            size_t before = c->offset / g_frame;
            c->offset += (size_t)got;
            if (c->sender) continue;
            for (size_t k = before; k < c->offset / g_frame; k++) {
                if (++r->done[k] == r->count) reader_has(r, k, at);
            }
        }
    }
    free(scratch);
    return NULL;
}

/* Connects and registers every connection (the last one is the sender), MAX_REGISTERING at a time. */
static double register_all(client *cs, size_t total, const struct sockaddr_in *addr, double timeout)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    static const unsigned char ask[] = "00001?";
    struct epoll_event events[256];
    size_t next = 0, registered = 0, pending = 0;
    uint64_t start = now_ns(), deadline = start + (uint64_t)(timeout * 1e9);
    int one = 1;
    while (registered < total) {
        while (pending < MAX_REGISTERING && next < total) {
            client *c = &cs[next++];
            c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (c->fd < 0) { perror("socket"); exit(1); }
            setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            if (connect(c->fd, (const struct sockaddr *)addr, sizeof *addr) < 0 && errno != EINPROGRESS) {
                fprintf(stderr, "fanout: connect %zu: %s\n", next - 1, strerror(errno));
                exit(1);
            }
            struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN, .data.ptr = c };
            epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
            pending++;
        }
        if (now_ns() > deadline) {
            fprintf(stderr, "fanout: only %zu of %zu connections registered (sent \"?\", got \"ok\") within %.0f s\n", registered, total, timeout);
            exit(1);
        }
        int n = epoll_wait(ep, events, 256, 100);
        if (n < 0 && errno != EINTR) { perror("epoll_wait"); exit(1); }
        for (int e = 0; e < n; e++) {
            client *c = events[e].data.ptr;
            if (events[e].events & (EPOLLERR | EPOLLHUP)) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                fprintf(stderr, "fanout: connection %zu failed while registering: %s\n", (size_t)(c - cs), err ? strerror(err) : "closed by the server");
                exit(1);
            }
            if (c->state == 0 && (events[e].events & EPOLLOUT)) {
                if (send(c->fd, ask, sizeof ask - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof ask - 1)) fail("the registration request did not go in one send");
                c->state = 1;
                struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
            }
            if (c->state == 1 && (events[e].events & EPOLLIN)) {
                unsigned char got[OK_LEN];
                ssize_t r = recv(c->fd, got, OK_LEN - c->offset, 0);
                if (r < 0 && errno == EAGAIN) continue;
                if (r <= 0) { fprintf(stderr, "fanout: connection %zu closed while registering\n", (size_t)(c - cs)); exit(1); }
                if (memcmp(got, OK_FRAME + c->offset, (size_t)r) != 0) { fprintf(stderr, "fanout: connection %zu: the answer to \"?\" is not \"ok\"\n", (size_t)(c - cs)); exit(1); }
                c->offset += (size_t)r;
                if (c->offset == OK_LEN) {
                    c->state = 2; c->offset = 0;
                    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                    pending--; registered++;
                }
            }
        }
    }
    close(ep);
    return (now_ns() - start) / 1e9;
}

static void send_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) { perror("fanout: send on the sender connection"); exit(1); }
        p += w; n -= (size_t)w;
    }
}

/* Waits for one message's completion; exits with where the receivers stand on a timeout or a broken connection. */
static void wait_completed(uint64_t deadline, size_t message, client *cs, size_t n)
{
    for (;;) {
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        t.tv_nsec += 100000000;
        if (t.tv_nsec >= 1000000000) { t.tv_sec++; t.tv_nsec -= 1000000000; }
        if (sem_timedwait(&g_completed, &t) == 0) return;
        if (atomic_load(&g_failed)) {
            fprintf(stderr, "fanout: a receiver failed: %ld wrong stream(s), %ld unexpected close(s)\n", atomic_load(&g_wrong), atomic_load(&g_closes));
            exit(1);
        }
        if (now_ns() > deadline) {
            size_t have = 0;
            for (size_t i = 0; i < n; i++) if (cs[i].offset / g_frame > message) have++;
            fprintf(stderr, "fanout: message %zu reached %zu of %zu receivers within the phase's timeout\n", message, have, n);
            exit(1);
        }
    }
}

static void sync_with_driver(int enabled, const char *line, const char *phase)
{
    printf("%s %s\n", line, phase);
    fflush(stdout);
    if (!enabled) return;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    struct timespec wait = { .tv_sec = 30 };
    if (sigtimedwait(&set, NULL, &wait) != SIGUSR1) fail("-S: no SIGUSR1 from the driver within 30 s");
}

/* Connections open and warm, nothing sent: what the server allocates and burns in the background. */
static void idle_window(int sync, double seconds, size_t n)
{
    sync_with_driver(sync, "measuring", "idle");
    uint64_t start = now_ns();
    struct timespec d = { .tv_sec = (time_t)seconds, .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9) };
    while (nanosleep(&d, &d) < 0 && errno == EINTR) { }
    double elapsed = (now_ns() - start) / 1e9;
    sync_with_driver(sync, "measured", "idle");
    printf("{\"phase\":\"idle\",\"connections\":%zu,\"seconds\":%.6f}\n", n, elapsed);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *address = "127.0.0.1", *phases = "paced,burst";
    int port = 0, sync = 0;
    long receivers = 10000, messages = 200, warmup = 20, payload = 32;
    double timeout = 60, idle = 0;
    int opt;
    while ((opt = getopt(argc, argv, "a:p:c:m:s:w:x:T:t:i:S")) != -1) {
        switch (opt) {
        case 'a': address = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'c': receivers = atol(optarg); break;
        case 'm': messages = atol(optarg); break;
        case 's': payload = atol(optarg); break;
        case 'w': warmup = atol(optarg); break;
        case 'x': phases = optarg; break;
        case 'T': g_threads = atoi(optarg); break;
        case 't': timeout = atof(optarg); break;
        case 'i': idle = atof(optarg); break;
        case 'S': sync = 1; break;
        default:
            fprintf(stderr, "usage: %s -p PORT [-a ADDR] [-c N] [-m M] [-s S] [-w W] [-x paced,burst] [-T THREADS] [-t SECONDS] [-i IDLE_SECONDS] [-S]\n", argv[0]);
            return 2;
        }
    }
    int paced = strstr(phases, "paced") != NULL, burst = strstr(phases, "burst") != NULL;
    if (port < 1 || receivers < 1 || messages < 1 || warmup < 0 || payload < SEQ_DIGITS || payload > 99998 || g_threads < 1
        || g_threads > receivers || timeout <= 0 || idle < 0 || (!paced && !burst)) {
        fprintf(stderr, "fanout: bad arguments (payload %d..99998 bytes, threads 1..N, -x paced and/or burst)\n", SEQ_DIGITS);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);  /* before any thread: only sigtimedwait takes it */
    raise_fd_limit((size_t)receivers + 64);

    g_frame = HEADER + (size_t)payload;
    g_messages = (size_t)warmup + (paced ? (size_t)messages : 0) + (burst ? 2 * (size_t)messages : 0);
    build_stream((size_t)payload);
    g_threads_done = calloc(g_messages, sizeof *g_threads_done);
    g_sent_at = calloc(g_messages, sizeof *g_sent_at);
    sem_init(&g_completed, 0, 0);

    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if (inet_pton(AF_INET, address, &addr.sin_addr) != 1) fail("bad address");
    size_t n = (size_t)receivers;
    client *cs = calloc(n + 1, sizeof *cs);
    cs[n].sender = 1;
    double register_seconds = register_all(cs, n + 1, &addr, timeout);
    printf("{\"phase\":\"register\",\"connections\":%zu,\"seconds\":%.6f}\n", n, register_seconds);
    fflush(stdout);

    /* The sender writes with blocking sends; reader 0 reads it (MSG_DONTWAIT, as every read). */
    int sender = cs[n].fd;
    fcntl(sender, F_SETFL, fcntl(sender, F_GETFL) & ~O_NONBLOCK);
    for (size_t i = 0; i < n; i++) fcntl(cs[i].fd, F_SETFL, fcntl(cs[i].fd, F_GETFL) | O_NONBLOCK);
    g_readers = calloc((size_t)g_threads, sizeof *g_readers);
    for (int t = 0; t < g_threads; t++) {
        reader *r = &g_readers[t];
        r->index = t;
        r->ep = epoll_create1(EPOLL_CLOEXEC);
        r->conns = calloc(n / (size_t)g_threads + 2, sizeof *r->conns);
        r->done = calloc(g_messages, sizeof *r->done);
        r->done_at = calloc(g_messages, sizeof *r->done_at);
    }
    for (size_t i = 0; i <= n; i++) {
        reader *r = &g_readers[i == n ? 0 : i % (size_t)g_threads];
        if (i < n) r->count++;
        r->conns[i < n ? r->count - 1 : r->count] = &cs[i];
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &cs[i] };
        epoll_ctl(r->ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
    }
    for (int t = 0; t < g_threads; t++) pthread_create(&g_readers[t].id, NULL, read_loop, &g_readers[t]);

    /* The requests: "!" + the frame's payload, framed. */
    size_t request = HEADER + 1 + (size_t)payload;
    unsigned char *requests = malloc(g_messages * request);
    for (size_t k = 0; k < g_messages; k++) {
        unsigned char *q = requests + k * request;
        size_t v = (size_t)payload + 1;
        for (int i = HEADER - 1; i >= 0; i--) { q[i] = (unsigned char)('0' + v % 10); v /= 10; }
        q[HEADER] = '!';
        memcpy(q + HEADER + 1, g_stream + k * g_frame + HEADER, (size_t)payload);
    }

    size_t k = 0;
    int succeeded = 1;
    /* Phases 0 and 1 warm up what 2 (paced) and 3 (burst) measure, so both are measured in a steady state. */
    for (int p = 0; p < 4; p++) {
        const char *name = p < 2 ? "warmup" : p == 2 ? "paced" : "burst";
        if (p == 2 && idle > 0) idle_window(sync, idle, n);
        int is_burst = p % 2 == 1;
        size_t count = p == 0 ? (size_t)warmup : (size_t)messages;  /* the burst's warm-up as large as the burst */
        if (count == 0 || (is_burst && !burst) || (p == 2 && !paced)) continue;
        size_t first = k;
        if (p > 1) sync_with_driver(sync, "measuring", name);
        double cpu_start = cpu_seconds();
        uint64_t deadline = now_ns() + (uint64_t)(timeout * 1e9);
        if (is_burst) {
            uint64_t t = now_ns();
            for (size_t i = 0; i < count; i++) g_sent_at[first + i] = t;
            send_all(sender, requests + first * request, count * request);
            for (size_t i = 0; i < count; i++) wait_completed(deadline, first + i, cs, n);
        } else {
            for (size_t i = 0; i < count; i++) {
                g_sent_at[first + i] = now_ns();
                send_all(sender, requests + (first + i) * request, request);
                wait_completed(deadline, first + i, cs, n);
            }
        }
        k += count;
        double cpu = cpu_seconds() - cpu_start;
        if (p < 2) continue;
        sync_with_driver(sync, "measured", name);

        /* A message's last delivery: the latest of the readers' last deliveries. */
        uint64_t last_any = 0, *fan = malloc(count * sizeof *fan);
        for (size_t i = 0; i < count; i++) {
            uint64_t last = 0;
            for (int t = 0; t < g_threads; t++) if (g_readers[t].count > 0 && g_readers[t].done_at[first + i] > last) last = g_readers[t].done_at[first + i];
            fan[i] = last - g_sent_at[first + i];
            if (last > last_any) last_any = last;
        }
        double seconds = (last_any - g_sent_at[first]) / 1e9, sum = 0;
        for (size_t i = 0; i < count; i++) sum += fan[i] / 1e3;
        uint64_t last_message = fan[count - 1];
        for (size_t i = 1; i < count; i++) {  /* insertion sort: count is small */
            uint64_t v = fan[i];
            size_t j = i;
            while (j > 0 && fan[j - 1] > v) { fan[j] = fan[j - 1]; j--; }
            fan[j] = v;
        }
        double deliveries = (double)n * (double)count;
        printf("{\"phase\":\"%s\",\"connections\":%zu,\"messages\":%zu,\"payloadBytes\":%ld,\"threads\":%d,\"deliveries\":%.0f,"
               "\"seconds\":%.6f,\"deliveriesPerSecond\":%.1f,\"lastMessageUs\":%.1f,\"fanoutP50Us\":%.1f,\"fanoutP99Us\":%.1f,"
               "\"fanoutMaxUs\":%.1f,\"fanoutMeanUs\":%.1f,\"clientCpuSeconds\":%.6f,\"wrongStreams\":%ld,\"unexpectedCloses\":%ld}\n",
               name, n, count, payload, g_threads, deliveries, seconds, seconds > 0 ? deliveries / seconds : 0, last_message / 1e3,
               fan[count / 2] / 1e3, fan[(count * 99) / 100 < count ? (count * 99) / 100 : count - 1] / 1e3, fan[count - 1] / 1e3,
               sum / (double)count, cpu, atomic_load(&g_wrong), atomic_load(&g_closes));
        fflush(stdout);
        free(fan);
        if (atomic_load(&g_failed)) succeeded = 0;
    }

    atomic_store(&g_stop, 1);
    for (int t = 0; t < g_threads; t++) pthread_join(g_readers[t].id, NULL);
    for (size_t i = 0; i <= n; i++) if (cs[i].fd >= 0) close(cs[i].fd);
    return succeeded && atomic_load(&g_wrong) + atomic_load(&g_closes) == 0 ? 0 : 1;
}
