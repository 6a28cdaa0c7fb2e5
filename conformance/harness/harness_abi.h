/* The contract between the guest harness kernel (conformance/harness/guest, freestanding C)
 * and the host side that encodes vectors for it (conformance/harness/encoding.*).
 * Plain C so both compilers read the same definitions; every struct has a fixed layout
 * (checked by static asserts on both sides).
 *
 * Address space (documented in conformance/harness/README.md):
 *   - The harness owns PML4 entry 511 of every top-level table the vector uses (the initial
 *     CR3 and every MOV CR3 target): linear 0xffffff8000000000 and up.
 *       0xffffff8000000000 + gpa : supervisor read/write alias of guest-physical memory
 *                                   [0, region GPA + VT_REGION_AND_STAGING_SIZE) in 2-MByte pages ("direct map");
 *                                   store_entry and the A/D read-back go through it.
 *       0xffffffff80000000       : the harness region (VT_REGION_SIZE), 4-KByte pages:
 *                                   image, paging structures, program, results.
 *   - Guest-physical: the harness region lives at a target-chosen base (KVM: VT_KVM_REGION_GPA).
 */
#ifndef VTSPEC_HARNESS_ABI_H
#define VTSPEC_HARNESS_ABI_H

#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

/* What vectors may use and what is the harness's: one definition, shared with the loader. */
#include "../../vectors/format/vector_address_space.h"

#define VT_HARNESS_PML4_INDEX VTSPEC_RESERVED_PML4_INDEX
#define VT_DIRECT_MAP_BASE VTSPEC_VECTOR_LINEAR_LIMIT
#define VT_HARNESS_LINEAR 0xffffffff80000000ull
#define VT_HARNESS_LINEAR_FLOOR VTSPEC_VECTOR_LINEAR_LIMIT /* vectors must stay below */

/* The harness region, offsets from its base (same offset linear and guest-physical). */
#define VT_REGION_SIZE 0x200000ull
#define VT_IMAGE_OFFSET 0x000000ull      /* the linked image: info block first */
#define VT_IMAGE_MAX 0x0f0000ull
#define VT_TABLES_OFFSET 0x0f0000ull     /* PDPT, PD, PT, direct-map PDs (built by the host) */
#define VT_TABLES_PAGES 16u
#define VT_PROGRAM_OFFSET 0x100000ull    /* vt_program_header, vt_op[], readback GPAs */
#define VT_PROGRAM_SIZE 0x080000ull
#define VT_RESULTS_OFFSET 0x180000ull    /* vt_results_header, vt_result[], readback values */
#define VT_RESULTS_SIZE 0x080000ull

/* User-mode aliases for the interpreter's batch loop (guest/batch.S), which runs at CPL 3:
 * on this KVM backend supervisor code is emulated an instruction at a time, user code runs
 * natively (docs/kvm-divergences.md section 4), so the per-operation bookkeeping of a run
 * of accesses - reading the operation, recording its outcome, reading back the checked
 * entries - is done at CPL 3 and only a supervisor access itself at CPL 0.
 *   VT_USER_PROGRAM  the program area, read-only at CPL 3   (4-KByte pages, U/S = 1, R/W = 0)
 *   VT_USER_RESULTS  the results area, writable at CPL 3    (4-KByte pages, U/S = 1)
 *   VT_USER_DIRECT   guest-physical [0, vector window), read-only at CPL 3 (2-MByte pages)
 * Supervisor code never touches them (SMAP). They lie in PML4 entry 511, the harness's, and
 * the loop reaches them and its user page and stack RIP-relative only, so that it also runs
 * at a copy of entry 511 in a lower-half PML4 slot: this backend emulates user code too when
 * it runs in the upper half. The encoder picks the slot among those the vector provably never
 * reaches (encoding.hpp, batch_alias_slot) and sets vt_program_header.user_alias. */
#define VT_USER_ALIAS_LINEAR (VT_HARNESS_LINEAR + VT_REGION_SIZE)
#define VT_USER_PROGRAM VT_USER_ALIAS_LINEAR
#define VT_USER_RESULTS (VT_USER_ALIAS_LINEAR + VT_PROGRAM_SIZE)
#define VT_USER_DIRECT (VT_HARNESS_LINEAR - 0x40000000ull) /* PDPT entry 509, next to the region */

/* The staging area follows the harness region in guest-physical space (it is reached only
 * through the direct map). It holds the stores that turn guest memory as the previous vector
 * left it into this vector's initial memory: store_count pairs {u64 guest-physical address,
 * u64 value}. The harness performs them with ordinary guest stores before the first
 * operation, so that the hypervisor sees every change to the guest's paging structures (a
 * shadow MMU write-protects them; host writes would bypass that). */
#define VT_STAGING_OFFSET VT_REGION_SIZE
#define VT_STAGING_SIZE 0xe00000ull
#define VT_REGION_AND_STAGING_SIZE (VT_REGION_SIZE + VT_STAGING_SIZE)

/* KVM target placement: vectors own guest-physical [0, VT_KVM_VECTOR_WINDOW); the harness
 * region and the staging area follow it. The direct map covers all three. */
#define VT_KVM_VECTOR_WINDOW VTSPEC_VECTOR_GPA_LIMIT
#define VT_KVM_REGION_GPA 0x40000000ull

/* Selectors of the harness GDT. */
#define VT_SEL_KERNEL_CODE 0x08u
#define VT_SEL_KERNEL_DATA 0x10u
#define VT_SEL_USER_DATA 0x18u /* used with RPL 3 */
#define VT_SEL_USER_CODE 0x20u /* used with RPL 3 */
#define VT_SEL_TSS 0x28u /* 16 bytes */
#define VT_SEL_RING1_DATA 0x38u /* used with RPL 1 */
#define VT_SEL_RING1_CODE 0x40u
#define VT_SEL_RING2_DATA 0x48u /* used with RPL 2 */
#define VT_SEL_RING2_CODE 0x50u

/* The harness reports "done" by writing the number of executed operations to this port
 * (32-bit OUT), and a harness failure by writing its code to VT_PORT_FAILED. */
#define VT_PORT_DONE 0x0f4u
#define VT_PORT_FAILED 0x0f5u

#define VT_INFO_MAGIC 0x4f464e4948535456ull /* "VTSHINFO" */
#define VT_PROGRAM_MAGIC 0x474f525048535456ull /* "VTSHPROG" */
#define VT_RESULTS_MAGIC 0x534c535248535456ull /* "VTSHRSLS" */
#define VT_ABI_VERSION 3u /* 3: user-mode aliases for the batch loop */

#ifndef __ASSEMBLER__
/* At image offset 0: what a boot shim and the host need to know about the linked image. */
struct vt_info {
  uint64_t magic;
  uint64_t abi_version;
  uint64_t image_size;      /* bytes of the image, including bss and stacks */
  uint64_t entry;           /* linear: 64-bit entry, RDI = first operation index */
  uint64_t stack_top;       /* linear: initial RSP */
  uint64_t gdt;             /* linear address and limit of the GDT */
  uint64_t gdt_limit;
  uint64_t idt;
  uint64_t idt_limit;
  uint64_t tss;             /* linear address of the 64-bit TSS */
  uint64_t tss_limit;
  uint64_t user_begin;      /* linear [user_begin, user_end): pages mapped with U/S = 1 */
  uint64_t user_end;
};

enum vt_op_kind {
  VT_OP_ACCESS = 1,
  VT_OP_STORE_ENTRY = 2,
  VT_OP_INVLPG = 3,
  VT_OP_MOV_CR3 = 4,
  VT_OP_MOV_CR4 = 5,
  VT_OP_MOV_CR0 = 6,
  VT_OP_INVPCID = 7,
  VT_OP_WRMSR_EFER = 8, /* WRMSR, ECX = C0000080H (IA32_EFER), EDX:EAX = value */
  VT_OP_WRPKRU = 9,     /* WRPKRU, EAX = value, ECX = EDX = 0 */
};
enum vt_access_kind { VT_READ = 0, VT_WRITE = 1, VT_FETCH = 2 };

struct vt_program_header {
  uint64_t magic;
  uint32_t op_count;
  uint32_t readback_count; /* entries read back after every operation */
  uint64_t pkru;           /* loaded with WRPKRU when flags & VT_FLAG_WRPKRU */
  uint64_t flags;
  uint64_t user_rflags;    /* RFLAGS for CPL-1..3 accesses (AC, bit 1) */
  uint64_t region_gpa;     /* guest-physical base of the harness region */
  uint64_t staging_gpa;    /* guest-physical base of the staging area */
  uint32_t store_count;    /* staged stores to perform before operation 0 */
  uint32_t reserved;
  uint64_t user_alias;     /* added to the batch loop's addresses (see VT_USER_ALIAS_LINEAR); 0: none */
};
#define VT_FLAG_WRPKRU 1u
#define VT_FLAG_CPUID 2u /* record CPUID leaves VT_CPUID_LEAVES in the results header */

/* One operation: 40 bytes. */
struct vt_op {
  uint8_t kind;     /* vt_op_kind */
  uint8_t access;   /* vt_access_kind */
  uint8_t size;     /* 1, 2, 4, 8 */
  uint8_t cpl;      /* 0-3 */
  uint8_t type;     /* INVPCID type */
  uint8_t pad[3];
  uint64_t address; /* linear (access, invlpg, invpcid) or guest-physical (store_entry) */
  uint64_t value;   /* written value, CR value, stored entry */
  uint64_t pcid;
  uint32_t batch_end; /* non-zero: this operation starts a run of accesses at CPL 0 and 3,
                       * operations [this, batch_end), that the batch loop runs (batch.S) */
  uint32_t reserved;
};

enum vt_status {
  VT_NOT_RUN = 0,
  VT_COMPLETED = 1,
  VT_EXCEPTION = 2,
  VT_STARTED = 3, /* the harness began the operation and never finished it */
};

/* One operation's outcome: 48 bytes. */
struct vt_result {
  uint32_t status;  /* vt_status */
  uint32_t vector;
  uint64_t error_code;
  uint64_t cr2;
  uint64_t rip;
  uint64_t value;   /* value read */
  uint64_t cs;      /* CS of the faulting context */
};

struct vt_results_header {
  uint64_t magic;
  uint32_t ops_done;
  uint32_t current_op;    /* the operation in progress (host recovery after an exit) */
  uint64_t failure;       /* harness failure code, 0 = none */
  uint64_t failure_detail;
  uint64_t unexpected_vector;
  uint64_t unexpected_rip;
  uint32_t cpuid[4][4];   /* with VT_FLAG_CPUID: EAX..EDX of leaves 1, 7.0, 0x80000001, 0x80000008 */
};

/* Results area: header, then vt_result[op_count], then readback values
 * [op_count][readback_count]. */
#define VT_MAX_OPS VTSPEC_VECTOR_MAX_OPERATIONS
#define VT_MAX_READBACK VTSPEC_VECTOR_MAX_CHECKED_ENTRIES
#define VT_RESULTS_FIRST (sizeof(struct vt_results_header))
#define VT_READBACK_VALUES_OFFSET (VT_RESULTS_FIRST + VT_MAX_OPS * sizeof(struct vt_result))

#endif /* !__ASSEMBLER__ */

/* Harness failure codes (VT_PORT_FAILED). */
#define VT_FAIL_BAD_PROGRAM 1u
#define VT_FAIL_UNEXPECTED_EXCEPTION 2u
#define VT_FAIL_DOUBLE_FAULT 3u

#endif
