/* The harness interpreter: runs the operations of the program area one by one and records
 * each outcome in the results area (harness_abi.h). A fault in an operation is caught by
 * vt_exception, recorded, and the interpreter resumes at the next operation through the
 * checkpoint taken before it. Everything between two operations touches only harness
 * pages and the direct map, so it does not disturb the TLB state a vector builds up
 * (no CR3 write, no INVLPG, no paging-structure store of its own). */
#include "harness.h"

#include <stddef.h>

#include "asm_abi.h"

/* The assembly files read harness_abi.h through asm_abi.h: the same numbers, checked here. */
_Static_assert(B_PROGRAM == VT_HARNESS_LINEAR + VT_PROGRAM_OFFSET && B_DIRECT_MAP == VT_DIRECT_MAP_BASE &&
                   B_USER_PROGRAM == VT_USER_PROGRAM &&
                   B_USER_RESULTS == VT_USER_RESULTS && B_USER_DIRECT == VT_USER_DIRECT,
               "asm_abi.h: addresses");
_Static_assert(B_SEL_USER_DATA == VT_SEL_USER_DATA && B_SEL_USER_CODE == VT_SEL_USER_CODE &&
                   B_SEL_KERNEL_CODE == VT_SEL_KERNEL_CODE && B_SEL_RING1_CODE == VT_SEL_RING1_CODE &&
                   B_SEL_RING2_CODE == VT_SEL_RING2_CODE && B_STARTED == VT_STARTED &&
                   B_COMPLETED == VT_COMPLETED && B_EXCEPTION == VT_EXCEPTION && B_FETCH == VT_FETCH &&
                   B_OP_ACCESS == VT_OP_ACCESS && B_OP_STORE_ENTRY == VT_OP_STORE_ENTRY && B_OP_WRPKRU == VT_OP_WRPKRU,
               "asm_abi.h: selectors and enums");
_Static_assert(PH_OP_COUNT == offsetof(struct vt_program_header, op_count) &&
                   PH_READBACK_COUNT == offsetof(struct vt_program_header, readback_count) &&
                   PH_USER_RFLAGS == offsetof(struct vt_program_header, user_rflags) &&
                   PH_USER_ALIAS == offsetof(struct vt_program_header, user_alias) &&
                   PH_SIZE == sizeof(struct vt_program_header),
               "asm_abi.h: vt_program_header");
_Static_assert(OP_KIND == offsetof(struct vt_op, kind) && OP_TYPE == offsetof(struct vt_op, type) &&
                   OP_PCID == offsetof(struct vt_op, pcid) && OP_ACCESS == offsetof(struct vt_op, access) && OP_SIZE == offsetof(struct vt_op, size) &&
                   OP_CPL == offsetof(struct vt_op, cpl) && OP_ADDRESS == offsetof(struct vt_op, address) &&
                   OP_VALUE == offsetof(struct vt_op, value) && OP_BATCH_END == offsetof(struct vt_op, batch_end) &&
                   OP_SIZEOF == sizeof(struct vt_op),
               "asm_abi.h: vt_op");
_Static_assert(R_STATUS == offsetof(struct vt_result, status) && R_VECTOR == offsetof(struct vt_result, vector) &&
                   R_ERROR == offsetof(struct vt_result, error_code) && R_CR2 == offsetof(struct vt_result, cr2) &&
                   R_RIP == offsetof(struct vt_result, rip) && R_VALUE == offsetof(struct vt_result, value) &&
                   R_CS == offsetof(struct vt_result, cs) && R_SIZEOF == sizeof(struct vt_result),
               "asm_abi.h: vt_result");
_Static_assert(RH_OPS_DONE == offsetof(struct vt_results_header, ops_done) &&
                   RH_CURRENT_OP == offsetof(struct vt_results_header, current_op) &&
                   RH_SIZE == sizeof(struct vt_results_header) && B_READBACK_VALUES == VT_READBACK_VALUES_OFFSET &&
                   (1u << B_READBACK_STRIDE_SHIFT) == VT_MAX_READBACK * 8,
               "asm_abi.h: results area");

#define PROGRAM ((const volatile struct vt_program_header*)(VT_HARNESS_LINEAR + VT_PROGRAM_OFFSET))
#define RESULTS ((volatile struct vt_results_header*)(VT_HARNESS_LINEAR + VT_RESULTS_OFFSET))

static struct vt_checkpoint checkpoint;
static volatile struct vt_result* current_result;
static volatile int in_operation;
static int descriptors_ready; /* bss: zero as loaded */

void* memset(void* d, int c, unsigned long n) {
  unsigned char* p = d;
  while (n--) *p++ = (unsigned char)c;
  return d;
}
void* memcpy(void* d, const void* s, unsigned long n) {
  unsigned char* p = d;
  const unsigned char* q = s;
  while (n--) *p++ = *q++;
  return d;
}

void vt_report(uint16_t port, uint32_t value) {
  for (;;) {
    __asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port) : "memory");
    __asm__ volatile("hlt");
  }
}

static volatile struct vt_result* result_slot(uint32_t i) {
  return (volatile struct vt_result*)(VT_HARNESS_LINEAR + VT_RESULTS_OFFSET + VT_RESULTS_FIRST) + i;
}
static volatile uint64_t* readback_slot(uint32_t op, uint32_t k) {
  return (volatile uint64_t*)(VT_HARNESS_LINEAR + VT_RESULTS_OFFSET + VT_READBACK_VALUES_OFFSET) +
         (uint64_t)op * VT_MAX_READBACK + k;
}
/* The supervisor alias of a guest-physical address. */
static volatile uint64_t* direct(uint64_t gpa) { return (volatile uint64_t*)(VT_DIRECT_MAP_BASE + gpa); }

/* Every access runs in the batch loop (batch.S; the host marks them, vt_op.batch_end), the
 * CPL-1/2 ones through the supervisor-page stubs of their rings (vt_s_*, entry.S); so do the
 * privileged operations unless the host asks for them here (Layout::batch_privileged). */

/* The stack for CPL-1 and CPL-2 stubs: on a supervisor page (their accesses are
 * supervisor-mode, SDM Vol. 3A 4.6, so a user-page stack would meet SMAP). Its top word
 * holds vt_s_done, so a RET fetched at CPL 1 or 2 returns. */
uint64_t vt_ring_stack[64] __attribute__((aligned(16)));
#define RING_STACK_RSP ((uint64_t)vt_ring_stack + B_RING_STACK_TOP)
_Static_assert(B_RING_STACK_TOP % 16 == 0 && B_RING_STACK_TOP < sizeof vt_ring_stack, "asm_abi.h: the ring stack");

/* Runs one operation that is not batched (a privileged one); returns normally when it
 * completed, through vt_exception when it faulted. */
static void run_operation(const volatile struct vt_op* op, volatile struct vt_result* r) {
  uint64_t address = op->address, value = op->value;
  switch (op->kind) {
    case VT_OP_ACCESS:
      vt_report(VT_PORT_FAILED, VT_FAIL_BAD_PROGRAM); /* the host batches every access */
    case VT_OP_STORE_ENTRY:
      *direct(address) = value; /* SDM Vol. 3A 4.10.4: software update of a paging entry */
      break;
    case VT_OP_INVLPG:
      __asm__ volatile("invlpg (%0)" : : "r"(address) : "memory");
      break;
    case VT_OP_MOV_CR3:
      __asm__ volatile("mov %0, %%cr3" : : "r"(value) : "memory");
      break;
    case VT_OP_MOV_CR4:
      __asm__ volatile("mov %0, %%cr4" : : "r"(value) : "memory");
      break;
    case VT_OP_MOV_CR0:
      __asm__ volatile("mov %0, %%cr0" : : "r"(value) : "memory");
      break;
    case VT_OP_WRMSR_EFER: /* SDM Vol. 2B WRMSR; Vol. 4 IA32_EFER is MSR C0000080H */
      __asm__ volatile("wrmsr" : : "c"(0xc0000080u), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)) : "memory");
      break;
    case VT_OP_WRPKRU: /* SDM Vol. 2B WRPKRU: ECX and EDX must be 0 */
      __asm__ volatile("wrpkru" : : "a"((uint32_t)value), "c"(0), "d"(0) : "memory");
      break;
    case VT_OP_INVPCID: {
      /* SDM Vol. 2A INVPCID: 128-bit descriptor {PCID (bits 11:0), linear address}. */
      struct { uint64_t pcid, linear; } __attribute__((aligned(16))) descriptor = {op->pcid, address};
      __asm__ volatile("invpcid %0, %1" : : "m"(descriptor), "r"((uint64_t)op->type) : "memory");
      break;
    }
    default:
      r->status = VT_EXCEPTION;
      r->vector = 0xffffffffu; /* unknown operation: the host validates, so never reached */
      return;
  }
  r->status = VT_COMPLETED;
}

/* Puts the vector's memory in place with guest stores (see VT_STAGING_OFFSET), then flushes
 * every TLB entry and paging-structure cache: a MOV to CR4 that changes CR4.PGE invalidates
 * all of them, global ones included (SDM Vol. 3A 4.10.4.1), so the first operation starts
 * from an empty TLB whatever ran before. */
static void load_memory(const struct vt_program_header* program) {
  vt_stage((const uint64_t*)direct(program->staging_gpa), program->store_count);
  uint64_t cr4;
  __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
  __asm__ volatile("mov %0, %%cr4" : : "r"(cr4 ^ (1ull << 7)) : "memory");
  __asm__ volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
}

/* One operation the batch loop does not run, with its checkpoint (kept out of harness_main:
 * a function that calls vt_checkpoint keeps its variables in memory, which costs
 * instructions on every vector). */
static __attribute__((noinline)) void run_unbatched(const struct vt_op* op, uint32_t i, const uint64_t* readback,
                                                    uint32_t readback_count) {
  volatile struct vt_results_header* results = RESULTS;
  results->current_op = i;
  volatile struct vt_result* r = result_slot(i);
  r->status = VT_STARTED;
  current_result = r;
  if (vt_checkpoint(&checkpoint) == 0) {
    in_operation = 1;
    run_operation(op, r);
  }
  in_operation = 0;
  for (uint32_t k = 0; k < readback_count; ++k) *readback_slot(i, k) = *direct(readback[k]);
  results->ops_done = i + 1;
}

void harness_main(uint64_t first_op) {
  /* Once per load of the image: bss is zero as loaded (the host or boot shim zero-fills the
   * image area), and afterwards every word the interpreter uses is set before it is read.
   * Instructions are expensive on some targets (on this KVM backend supervisor code is
   * emulated), so nothing is redone per vector, and the program is read through a plain
   * pointer: the host wrote it before this entry and nothing changes it during the run. */
  if (!descriptors_ready) {
    uint64_t user_direct; /* below the kernel code model's range: RIP-relative, as batch.S has it */
    __asm__("lea __user_direct(%%rip), %0" : "=r"(user_direct));
    if ((uint64_t)__user_program != VT_USER_PROGRAM || (uint64_t)__user_results != VT_USER_RESULTS ||
        user_direct != VT_USER_DIRECT) /* harness.ld against harness_abi.h */
      vt_report(VT_PORT_FAILED, VT_FAIL_BAD_PROGRAM);
    vt_setup_descriptors();
    *(volatile uint64_t*)RING_STACK_RSP = (uint64_t)vt_s_done;
    descriptors_ready = 1;
  }
  const struct vt_program_header* program = (const struct vt_program_header*)PROGRAM;
  const uint32_t op_count = program->op_count, readback_count = program->readback_count;
  if (program->magic != VT_PROGRAM_MAGIC || op_count > VT_MAX_OPS || readback_count > VT_MAX_READBACK)
    vt_report(VT_PORT_FAILED, VT_FAIL_BAD_PROGRAM);
  const struct vt_op* ops = (const struct vt_op*)(program + 1);
  const uint64_t* readback = (const uint64_t*)(ops + op_count);
  volatile struct vt_results_header* results = RESULTS;
  results->magic = VT_RESULTS_MAGIC;

  if (first_op == 0) load_memory(program);
  if (program->flags) {
    if (program->flags & VT_FLAG_CPUID) {
      static const uint32_t leaves[4] = {1, 7, 0x80000001u, 0x80000008u};
      for (int i = 0; i < 4; ++i) {
        uint32_t a, b, c, d;
        __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaves[i]), "c"(0));
        results->cpuid[i][0] = a, results->cpuid[i][1] = b, results->cpuid[i][2] = c, results->cpuid[i][3] = d;
      }
    }
    if (program->flags & VT_FLAG_WRPKRU)
      __asm__ volatile("wrpkru" : : "a"((uint32_t)program->pkru), "c"(0), "d"(0) : "memory");
  }

  for (uint32_t i = (uint32_t)first_op; i < op_count; ++i) {
    const uint32_t end = ops[i].batch_end; /* the host marks each operation of a run (harness_abi.h) */
    if (end) {
      if (end <= i || end > op_count) vt_report(VT_PORT_FAILED, VT_FAIL_BAD_PROGRAM);
      vt_batch_run(i, end); /* records each outcome and the read-back values itself */
      i = end - 1;
      continue;
    }
    run_unbatched(&ops[i], i, readback, readback_count);
  }
  vt_report(VT_PORT_DONE, results->ops_done);
}

/* Every exception lands here (entry.S). SDM Vol. 3A 6.14: the frame holds the faulting
 * RIP and CS; for #PF, CR2 holds the linear address (4.7). */
void vt_exception(struct vt_frame* frame) {
  volatile struct vt_results_header* results = RESULTS;
  if (!in_operation) {
    results->unexpected_vector = frame->vector;
    results->unexpected_rip = frame->rip;
    results->failure_detail = frame->error_code;
    results->failure = frame->vector == 8 ? VT_FAIL_DOUBLE_FAULT : VT_FAIL_UNEXPECTED_EXCEPTION;
    vt_report(VT_PORT_FAILED, (uint32_t)results->failure);
  }
  in_operation = 0;
  volatile struct vt_result* r = current_result;
  r->status = VT_EXCEPTION;
  r->vector = (uint32_t)frame->vector;
  r->error_code = frame->error_code;
  r->cr2 = frame->vector == 14 ? vt_read_cr2() : 0;
  r->rip = frame->rip;
  r->cs = frame->cs;
  vt_resume(&checkpoint);
}
