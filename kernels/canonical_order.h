/* kernels/canonical_order.h - the two numbers of the canonical summation
 * order (include/lossopt.h), for the vector accumulator
 * (kernels/vec/canonical_sum.h) and the scalar oracle's
 * (kernels/scalar/canonical_sum.h): blocks of LOSSOPT_SUM_BLOCK elements from
 * the first, element i of a block to virtual lane i mod LOSSOPT_SUM_LANES. */
#ifndef LOSSOPT_CANONICAL_ORDER_H
#define LOSSOPT_CANONICAL_ORDER_H

#define LOSSOPT_SUM_BLOCK 256
#define LOSSOPT_SUM_LANES 16

#endif /* LOSSOPT_CANONICAL_ORDER_H */
