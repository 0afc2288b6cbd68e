/* dispatch/step_tasks.h - how a tensor-list call is cut into tasks
 * (include/lossopt.h, "Tasks and threads"): from the tensors' sizes alone,
 * never from the thread count, so every split over threads gives the same
 * bits. A task is either one range of a tensor larger than
 * LOSSOPT_TASK_ELEMENTS, or a run of whole consecutive tensors of at most
 * LOSSOPT_TASK_ELEMENTS each and together. Each tensor part of a task is one
 * "range": the statistics pass sums each range in the canonical order. */
#ifndef LOSSOPT_STEP_TASKS_H
#define LOSSOPT_STEP_TASKS_H

#include <stdbool.h>
#include <stddef.h>

#include "canonical_order.h"
#include "lossopt.h"

#define LOSSOPT_TASK_ELEMENTS ((size_t)65536)
_Static_assert(LOSSOPT_TASK_ELEMENTS % LOSSOPT_SUM_BLOCK == 0,
               "a task range must be whole canonical blocks");

typedef struct step_task {
    size_t first_tensor;  /* t[first_tensor .. first_tensor + tensor_count)    */
    size_t tensor_count;  /* 1 for a range of a large tensor                    */
    size_t begin, end;    /* that range (tensor_count == 1 and a large tensor);
                             a run covers its tensors whole                     */
    size_t first_range;   /* the index of this task's first range in the call  */
} step_task;

/* The walk over a call's tasks, in order. */
typedef struct step_task_cursor {
    const lossopt_tensor *t;
    size_t count;
    size_t tensor, offset; /* where the next task starts */
    size_t ranges;         /* ranges handed out so far    */
} step_task_cursor;

static inline step_task_cursor step_tasks_start(const lossopt_tensor *t, size_t count)
{
    step_task_cursor c = {t, count, 0, 0, 0};
    return c;
}

/* The next task, or false after the last. */
static inline bool step_tasks_next(step_task_cursor *c, step_task *task)
{
    if (c->tensor >= c->count)
        return false;
    size_t n = c->t[c->tensor].n;
    task->first_tensor = c->tensor;
    task->first_range = c->ranges;
    if (n > LOSSOPT_TASK_ELEMENTS) {
        task->tensor_count = 1;
        task->begin = c->offset;
        task->end = n - c->offset > LOSSOPT_TASK_ELEMENTS ? c->offset + LOSSOPT_TASK_ELEMENTS : n;
        c->offset = task->end;
        if (c->offset == n) {
            c->tensor++;
            c->offset = 0;
        }
    } else {
        size_t total = 0;
        while (c->tensor < c->count && c->t[c->tensor].n <= LOSSOPT_TASK_ELEMENTS &&
               total + c->t[c->tensor].n <= LOSSOPT_TASK_ELEMENTS) {
            total += c->t[c->tensor].n;
            c->tensor++;
        }
        task->tensor_count = c->tensor - task->first_tensor;
        task->begin = 0;
        task->end = 0; /* unused: whole tensors */
    }
    c->ranges += task->tensor_count;
    return true;
}

/* The element range [*begin, *end) of the j-th tensor of a task. */
static inline void step_task_range(const step_task *task, const lossopt_tensor *t, size_t j,
                                   size_t *begin, size_t *end)
{
    const lossopt_tensor *tensor = &t[task->first_tensor + j];
    bool partial = tensor->n > LOSSOPT_TASK_ELEMENTS;
    *begin = partial ? task->begin : 0;
    *end = partial ? task->end : tensor->n;
}

#endif /* LOSSOPT_STEP_TASKS_H */
