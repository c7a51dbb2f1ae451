#include "pool.h"

#include "common.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

/* Content held in queued jobs at most: bounds memory whatever the archive holds. */
#define BUDGET (64u << 20)
#define MAX_THREADS 8
/* Jobs queued at most: each holds an open descriptor. */
#define MAX_QUEUED 256
/* Jobs collected before the workers are woken, and taken by a worker at once. */
#define BATCH 32

struct node {
  struct file_job *job;
  struct node *next;
};

struct pool {
  /* The submitter's batch, not yet visible to the workers (no lock needed). */
  struct node *batch_head, *batch_tail;
  int batch_count;
  size_t batch_bytes;
  pthread_mutex_t lock;
  pthread_cond_t work, room, idle;
  struct node *head, *tail;
  size_t bytes;
  int queued;
  int busy;
  int stop;
  int threads;
  pthread_t tid[MAX_THREADS];
};

static void free_job(struct file_job *j) {
  for (int i = 0; i < j->nxattrs; i++) {
    free(j->xattrs[i].name);
    free(j->xattrs[i].value);
  }
  free(j->xattrs);
  free(j->owned);
  free(j->name);
  free(j);
}

void set_xattrs(int fd, const struct xattr *x, int n) {
  for (int i = 0; i < n; i++) {
    if (fsetxattr(fd, x[i].name, x[i].value, x[i].len, 0) == 0) continue;
    /* trusted.* and security.* outside a user namespace are root's: skip, counted. */
    atomic_fetch_add(&stats.skipped_xattrs, 1);
  }
}

int finish_file(int fd, const struct file_job *j) {
  /* Owner before mode: a chown clears setuid bits, which images keep. Attributes after the
   * chown and the content, either of which would clear security.capability. */
  if (j->uid >= 0 && fchown(fd, (uid_t)j->uid, (gid_t)j->gid) < 0) {
    if (errno != EINVAL) return -1;
    atomic_fetch_add(&stats.unmapped_owners, 1);
  }
  set_xattrs(fd, j->xattrs, j->nxattrs);
  /* The file was created with its permission bits; setuid, setgid and sticky are set here,
   * after the content and owner, which would clear them. */
  if ((j->mode & 07000) && fchmod(fd, j->mode & 07777) < 0) return -1;
  struct timespec ts[2] = {{j->mtime_sec, j->mtime_nsec}, {j->mtime_sec, j->mtime_nsec}};
  return futimens(fd, ts);
}

static void run(struct file_job *j) {
  const char *p = j->data;
  size_t left = j->len;
  int r = 0;
  while (left > 0) {
    ssize_t n = write(j->fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      r = -1;
      break;
    }
    p += n, left -= (size_t)n;
  }
  if (r == 0) r = finish_file(j->fd, j);
  if (r < 0) {
    char q[400];
    quote_name(q, sizeof(q), j->name, strlen(j->name));
    fail("extract", errno, "cannot write archive member %s: %s", q, strerrorname_np(errno));
  }
  close(j->fd);
}

static void *worker(void *arg) {
  struct pool *p = arg;
  pthread_mutex_lock(&p->lock);
  for (;;) {
    while (!p->head && !p->stop) pthread_cond_wait(&p->work, &p->lock);
    if (!p->head) break;
    /* Take up to a batch at once, leaving the rest to the other workers. */
    struct node *first = p->head, *last = first;
    int n = 1;
    while (n < BATCH && last->next && n * p->threads < p->queued) last = last->next, n++;
    p->head = last->next;
    if (!p->head) p->tail = NULL;
    last->next = NULL;
    p->queued -= n;
    p->busy++;
    if (p->head) pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->lock);
    size_t bytes = 0;
    for (struct node *x = first, *next; x; x = next) {
      next = x->next;
      bytes += x->job->owned ? x->job->len : 0;
      run(x->job);
      free_job(x->job);
      free(x);
    }
    pthread_mutex_lock(&p->lock);
    p->busy--;
    p->bytes -= bytes;
    pthread_cond_broadcast(&p->room);
    if (!p->head && !p->busy) pthread_cond_broadcast(&p->idle);
  }
  pthread_mutex_unlock(&p->lock);
  return NULL;
}

struct pool *pool_new(int threads) {
  struct pool *p = calloc(1, sizeof(*p));
  if (!p) return NULL;
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->work, NULL);
  pthread_cond_init(&p->room, NULL);
  pthread_cond_init(&p->idle, NULL);
  if (threads > MAX_THREADS) threads = MAX_THREADS;
  for (int i = 0; i < threads; i++)
    if (pthread_create(&p->tid[p->threads], NULL, worker, p) == 0) p->threads++;
  return p;
}

static void flush(struct pool *p) {
  if (!p->batch_head) return;
  pthread_mutex_lock(&p->lock);
  /* A batch larger than the budget still goes through, alone. */
  while ((p->bytes > 0 && p->bytes + p->batch_bytes > BUDGET) || p->queued >= MAX_QUEUED)
    pthread_cond_wait(&p->room, &p->lock);
  p->bytes += p->batch_bytes;
  p->queued += p->batch_count;
  if (p->tail) p->tail->next = p->batch_head;
  else p->head = p->batch_head;
  p->tail = p->batch_tail;
  pthread_cond_signal(&p->work);
  pthread_mutex_unlock(&p->lock);
  p->batch_head = p->batch_tail = NULL;
  p->batch_count = 0;
  p->batch_bytes = 0;
}

void pool_submit(struct pool *p, struct file_job *job) {
  struct node *n = p->threads ? malloc(sizeof(*n)) : NULL;
  if (!n) {
    /* No worker (or no memory for the queue): do it here, in order. */
    run(job);
    free_job(job);
    return;
  }
  n->job = job;
  n->next = NULL;
  if (p->batch_tail) p->batch_tail->next = n;
  else p->batch_head = n;
  p->batch_tail = n;
  p->batch_count++;
  p->batch_bytes += job->owned ? job->len : 0;
  if (p->batch_count >= BATCH || p->batch_bytes >= (BUDGET >> 4)) flush(p);
}

void pool_drain(struct pool *p) {
  flush(p);
  pthread_mutex_lock(&p->lock);
  while (p->head || p->busy) pthread_cond_wait(&p->idle, &p->lock);
  pthread_mutex_unlock(&p->lock);
}

void pool_free(struct pool *p) {
  pthread_mutex_lock(&p->lock);
  p->stop = 1;
  pthread_cond_broadcast(&p->work);
  pthread_mutex_unlock(&p->lock);
  for (int i = 0; i < p->threads; i++) pthread_join(p->tid[i], NULL);
  free(p);
}
