/* Guest-internal declarations of the harness kernel (freestanding; see harness_abi.h for
 * the contract with the host). */
#ifndef VTSPEC_HARNESS_GUEST_H
#define VTSPEC_HARNESS_GUEST_H

#include <stdint.h>
#include "../harness_abi.h"

/* What vt_exc_common pushed (entry.S), lowest address first. */
struct vt_frame {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
  uint64_t vector, error_code;
  uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU (SDM Vol. 3A 6.14.2) */
};

/* Callee-saved state for vt_checkpoint / vt_resume (entry.S). */
struct vt_checkpoint { uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip, rflags; };

int vt_checkpoint(struct vt_checkpoint* c) __attribute__((returns_twice));
void vt_resume(const struct vt_checkpoint* c) __attribute__((noreturn));

extern char vt_s_done[];
extern const uint64_t vt_exception_stubs[32];
extern const uint64_t vt_batch_stubs[32]; /* batch.S: the batch IDTs' handlers (0 for #DF) */
extern char vt_batch_de_ac[];             /* batch.S: the #DE handler for vectors with RFLAGS.AC */

extern char __image_start[], __image_end[], __image_size[], __bss_start[], __bss_end[];
extern char __stack_top[], __rsp0_top[], __ist1_top[], __user_begin[], __user_end[];
extern char __user_stack_top[], __user_program[], __user_results[];
extern char vt_entry[];

/* batch.S: runs operations [first, end), each an access at CPL 0 or 3, with the loop at CPL 3. */
void vt_batch_run(uint32_t first, uint32_t end);
/* entry.S: performs `count` staged stores {guest-physical address, value} through the direct map. */
void vt_stage(const uint64_t* stores, uint32_t count);

void vt_setup_descriptors(void);
void harness_main(uint64_t first_op) __attribute__((noreturn));
void vt_exception(struct vt_frame* frame) __attribute__((noreturn));
void vt_report(uint16_t port, uint32_t value) __attribute__((noreturn));

/* The freestanding compiler may still emit calls to these. */
void* memset(void* d, int c, unsigned long n);
void* memcpy(void* d, const void* s, unsigned long n);

static inline uint64_t vt_read_cr2(void) {
  uint64_t v;
  __asm__ volatile("mov %%cr2, %0" : "=r"(v));
  return v;
}

#endif
