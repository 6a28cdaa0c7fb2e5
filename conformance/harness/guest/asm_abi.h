/* The numbers the assembly files (batch.S, entry.S) need from harness_abi.h, in a form the
 * assembler reads (no C integer suffixes, no enums, no offsetof). One definition for the assembler; interpreter.c checks
 * every one against harness_abi.h at compile time, so the two cannot drift apart. */
#ifndef VTSPEC_HARNESS_ASM_ABI_H
#define VTSPEC_HARNESS_ASM_ABI_H

#define B_PROGRAM 0xffffffff80100000      /* VT_HARNESS_LINEAR + VT_PROGRAM_OFFSET */
#define B_DIRECT_MAP 0xffffff8000000000   /* VT_DIRECT_MAP_BASE */
#define B_USER_PROGRAM 0xffffffff80200000 /* VT_USER_PROGRAM */
#define B_USER_RESULTS 0xffffffff80280000 /* VT_USER_RESULTS */
#define B_USER_DIRECT 0xffffffff40000000  /* VT_USER_DIRECT */
#define B_SEL_USER_DATA 0x18              /* VT_SEL_USER_DATA */
#define B_SEL_USER_CODE 0x20              /* VT_SEL_USER_CODE */
#define B_SEL_KERNEL_CODE 0x08            /* VT_SEL_KERNEL_CODE */
#define B_SEL_RING1_CODE 0x40             /* VT_SEL_RING1_CODE */
#define B_SEL_RING2_CODE 0x50             /* VT_SEL_RING2_CODE */
#define B_RING_STACK_TOP 448              /* the CPL-1/2 stubs' RSP: vt_ring_stack + this (interpreter.c) */
#define B_STARTED 3                       /* enum vt_status */
#define B_COMPLETED 1
#define B_EXCEPTION 2
#define B_FETCH 2                         /* enum vt_access_kind */
#define B_OP_ACCESS 1                     /* enum vt_op_kind */
#define B_OP_STORE_ENTRY 2
#define B_OP_WRPKRU 9

/* struct vt_program_header */
#define PH_OP_COUNT 8
#define PH_READBACK_COUNT 12
#define PH_USER_RFLAGS 32
#define PH_USER_ALIAS 64
#define PH_SIZE 72
/* struct vt_op */
#define OP_KIND 0
#define OP_ACCESS 1
#define OP_SIZE 2
#define OP_CPL 3
#define OP_TYPE 4
#define OP_ADDRESS 8
#define OP_VALUE 16
#define OP_PCID 24
#define OP_BATCH_END 32
#define OP_SIZEOF 40
/* struct vt_result */
#define R_STATUS 0
#define R_VECTOR 4
#define R_ERROR 8
#define R_CR2 16
#define R_RIP 24
#define R_VALUE 32
#define R_CS 40
#define R_SIZEOF 48
/* struct vt_results_header and the read-back values after vt_result[VT_MAX_OPS] */
#define RH_OPS_DONE 8
#define RH_CURRENT_OP 12
#define RH_SIZE 112
#define B_READBACK_VALUES 49264           /* VT_READBACK_VALUES_OFFSET */
#define B_READBACK_STRIDE_SHIFT 8         /* VT_MAX_READBACK * 8 = 256 bytes per operation */

#endif
