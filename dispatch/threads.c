/* dispatch/threads.c - the built-in thread pool (include/lossopt.h,
 * lossopt_threads_create): threads - 1 workers started once and kept asleep
 * between calls; the calling thread runs tasks too. Tasks are handed out by
 * an atomic counter, so any thread may run any task: the results do not
 * depend on it (dispatch/step_tasks.h). Each call runs its tasks in the
 * calling thread's floating-point environment. */
#include "baseline_only.h" /* first: no vector-ISA flags here */
#include <fenv.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "lossopt.h"

#define MAX_THREADS 1024u

typedef struct thread_pool {
    pthread_mutex_t call_lock; /* one call at a time                    */
    pthread_mutex_t lock;      /* guards the fields below               */
    pthread_cond_t wake, done;
    unsigned workers;          /* started worker threads                */
    pthread_t *threads;
    unsigned long generation;  /* bumped for each call                  */
    bool stopping;
    unsigned busy;             /* workers still inside the current call */
    /* the current call */
    size_t task_count;
    lossopt_task_fn *fn;
    void *task_ctx;
    fenv_t environment;
    atomic_size_t next_task;
} thread_pool;

static void run_tasks(thread_pool *p)
{
    for (;;) {
        size_t i = atomic_fetch_add(&p->next_task, 1);
        if (i >= p->task_count)
            return;
        p->fn(p->task_ctx, i);
    }
}

static void *worker(void *argument)
{
    thread_pool *p = argument;
    unsigned long seen = 0;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->stopping && p->generation == seen)
            pthread_cond_wait(&p->wake, &p->lock);
        if (p->stopping)
            break;
        seen = p->generation;
        pthread_mutex_unlock(&p->lock);

        fenv_t own;
        fegetenv(&own);
        fesetenv(&p->environment);
        run_tasks(p);
        fesetenv(&own);

        pthread_mutex_lock(&p->lock);
        if (--p->busy == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static void pool_run(void *pool, size_t task_count, lossopt_task_fn *fn, void *task_ctx)
{
    thread_pool *p = pool;
    if (task_count == 0)
        return;
    pthread_mutex_lock(&p->call_lock);
    if (p->workers == 0 || task_count == 1) {
        for (size_t i = 0; i < task_count; i++)
            fn(task_ctx, i);
        pthread_mutex_unlock(&p->call_lock);
        return;
    }
    pthread_mutex_lock(&p->lock);
    p->task_count = task_count;
    p->fn = fn;
    p->task_ctx = task_ctx;
    fegetenv(&p->environment);
    atomic_store(&p->next_task, 0);
    p->busy = p->workers;
    p->generation++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);

    run_tasks(p);

    pthread_mutex_lock(&p->lock);
    while (p->busy > 0)
        pthread_cond_wait(&p->done, &p->lock);
    pthread_mutex_unlock(&p->lock);
    pthread_mutex_unlock(&p->call_lock);
}

static void stop_workers(thread_pool *p, unsigned started)
{
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < started; i++)
        pthread_join(p->threads[i], NULL);
}

static void free_pool(thread_pool *p)
{
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    pthread_mutex_destroy(&p->call_lock);
    free(p->threads);
    free(p);
}

lossopt_status lossopt_threads_create(unsigned threads, lossopt_parallel *out)
{
    if (out == NULL)
        return LOSSOPT_ERR_NULL;
    if (threads > MAX_THREADS)
        return LOSSOPT_ERR_ARG;
    if (threads == 0) {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        threads = online < 1 ? 1u : online > (long)MAX_THREADS ? MAX_THREADS : (unsigned)online;
    }
    thread_pool *p = calloc(1, sizeof *p);
    if (p == NULL)
        return LOSSOPT_ERR_RESOURCE;
    p->threads = calloc(threads, sizeof *p->threads);
    if (p->threads == NULL) {
        free(p);
        return LOSSOPT_ERR_RESOURCE;
    }
    pthread_mutex_init(&p->call_lock, NULL);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    atomic_init(&p->next_task, 0);
    for (unsigned i = 0; i + 1 < threads; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0) {
            stop_workers(p, i);
            free_pool(p);
            return LOSSOPT_ERR_RESOURCE;
        }
        p->workers = i + 1;
    }
    out->run = pool_run;
    out->pool = p;
    return LOSSOPT_OK;
}

void lossopt_threads_destroy(lossopt_parallel *parallel)
{
    if (parallel == NULL)
        return;
    thread_pool *p = parallel->pool;
    if (p != NULL && parallel->run == pool_run) {
        stop_workers(p, p->workers);
        free_pool(p);
    }
    parallel->run = NULL;
    parallel->pool = NULL;
}
