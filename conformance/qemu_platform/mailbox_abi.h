/* The contract between the QEMU platform proxy (guest/proxy.c) and its host
 * (qemu_machine.cpp). Plain C: both sides read it.
 *
 * Why a proxy: a DMA through QEMU's edu device and intel-iommu needs no CPU paging at all,
 * only MMIO and PCI configuration accesses in the right order. So the guest is a flat
 * 32-bit program that executes the host's command lists; the host keeps the VT-d
 * programming sequence, and the results, in C++ (conformance/targets/qemu_vtd_*). Guest RAM
 * is a shared file (memory-backend-file, share=on) mapped by the host, so the host writes
 * the vector's memory and reads back DMA results directly, and the mailbox lives there too. */
#ifndef VTSPEC_QEMU_MAILBOX_ABI_H
#define VTSPEC_QEMU_MAILBOX_ABI_H

#include <stdint.h>

/* The proxy is built twice from one source (guest/proxy.c): a flat 32-bit kernel (paging
 * off) for VT-d, and a long-mode kernel (identity-mapped 4 GiB, 2 MiB pages) that is the L1
 * hypervisor for AMD-V, since nested paging runs in the host's paging mode (AMD64 APM Vol. 2
 * 15.25.3) and so needs a 4-level host.
 *
 * Guest-physical layout: the proxy is loaded at 1 GiB, above every vector's memory
 * (vectors/format/vector_address_space.h); the mailbox follows it. */
#define VT_QEMU_PROXY_BASE 0x40000000u
#define VT_QEMU_MAILBOX 0x40100000u
#define VT_QEMU_RAM_BYTES 0x40400000ull /* 1 GiB + 4 MiB */
/* A page the host uses to fill and read back a device buffer (untranslated, TE = 0). */
#define VT_QEMU_STAGING 0x40200000u
/* The VT-d invalidation queue (one 4 KiB page) and its wait-descriptor status word. */
#define VT_QEMU_INVALIDATION_QUEUE 0x40300000u
#define VT_QEMU_INVALIDATION_STATUS 0x40301000u
/* AMD-V (the long-mode build of the proxy): the host save area (VM_HSAVE_PA) and the VMCB
 * the host fills, both out of every vector's reach. */
#define VT_QEMU_SVM_HSAVE 0x40302000u
#define VT_QEMU_SVM_VMCB 0x40303000u
/* VMX (the long-mode build as the L1 of the Bochs target): the VMXON region and the one VMCS
 * the host fills for each VM entry. An L1 uses one vendor's structures, so these are the
 * pages of the SVM host save area and VMCB. */
#define VT_L1_VMXON_REGION 0x40302000u
#define VT_L1_VMCS 0x40303000u
#define VT_QEMU_MAILBOX_MAGIC 0x78426c4du /* "MlBx" once the proxy is ready */
#define VT_QEMU_MAX_COMMANDS 256u
/* Register-only loop iterations between two reads of a polled register (guest/proxy.c). */
#define VT_QEMU_POLL_DELAY 1000u

enum vt_qemu_command_kind {
  VT_QC_WRITE = 1,      /* store `value` (width 4 or 8) to physical `address` (MMIO or RAM) */
  VT_QC_READ = 2,       /* load from `address` into `result` */
  VT_QC_POLL_CLEAR = 3, /* load until (v & mask) == 0; `result` = last v; `status` 1 on timeout */
  VT_QC_POLL_SET = 4,   /* load until (v & mask) == mask */
  VT_QC_PCI_READ = 5,   /* PCI configuration dword at `address` = bdf << 8 | register */
  VT_QC_PCI_WRITE = 6,  /* PCI configuration dword write of `value` */
  VT_QC_RDMSR = 7,      /* `result` = MSR `address` */
  VT_QC_WRMSR = 8,      /* MSR `address` = `value` */
  /* Long-mode build only (status 2 otherwise): VMRUN with rAX = `address` (the VMCB) and
   * RBX = `value` in the guest; `result` = the guest's RBX at #VMEXIT. The exit code and
   * information are in the VMCB, which the host reads from RAM. */
  VT_QC_VMRUN = 9,
  VT_QC_INVLPGA = 10,   /* INVLPGA with rAX = `address`, ECX = `value` (the ASID) */
  VT_QC_CPUID = 11,     /* CPUID leaf `address`, subleaf `value`: `result` = EAX | EBX << 32, `mask` = ECX | EDX << 32 */
  VT_QC_COPY = 12,      /* copy `mask` bytes from physical `value` to physical `address` (RAM) */
  VT_QC_FILL = 13,      /* zero `mask` bytes at physical `address` */
  VT_QC_READ_CR = 14,   /* `result` = CR`address` (0, 3 or 4) */
  VT_QC_SET_CR_BITS = 15, /* CR`address` |= `value` (0 or 4; a batch cannot read the CR first) */
  /* VMX (long-mode build). Each records its VMsucceed/VMfail outcome in `vmx_fail`
   * (SDM Vol. 3C 31.2: CF = 1 VMfailInvalid, ZF = 1 VMfailValid); after VMfailValid, `mask`
   * holds the VM-instruction error (the proxy's VMREAD of field 4400H). */
  VT_QC_VMXON = 16,     /* VMXON [`address`] (the VMXON region) */
  VT_QC_VMCLEAR = 17,   /* VMCLEAR [`address`] */
  VT_QC_VMPTRLD = 18,   /* VMPTRLD [`address`] */
  VT_QC_VMWRITE = 19,   /* VMWRITE field `address` = `value` */
  VT_QC_VMREAD = 20,    /* `result` = VMREAD field `address` */
  /* VMLAUNCH of the current VMCS, after the proxy writes the host-state area with its own
   * state (SDM Vol. 3C 25.5: CR0/3/4, RSP, RIP, selectors, bases, IA32_EFER) and loads the
   * guest's RAX = `address`, RBX = `value`. At the VM exit `result` = the guest's RBX and
   * `mask` = its RAX; the rest of the exit is in the VMCS (VMREAD). */
  VT_QC_VMLAUNCH = 21,
  VT_QC_INVEPT = 22,    /* INVEPT type `address`, descriptor {EPTP `value`, 0} */
  VT_QC_INVVPID = 23,   /* INVVPID type `address`, descriptor {VPID `value`, linear `mask`} */
  VT_QC_VMRESUME = 24,  /* VMRESUME of the current VMCS, as VT_QC_VMLAUNCH */
  /* (VMLAUNCH, VMRESUME with `mask` = 1: the proxy leaves the host-state area as the VMCS
   * holds it, but for HOST_RSP and HOST_RIP, which bring a VM exit back to it.) */
  VT_QC_VMXOFF = 25,    /* VMXOFF; with `value` = 1 only if the proxy is in VMX operation */
  VT_QC_VMPTRST = 26,   /* `result` = VMPTRST */
  VT_QC_VMCALL = 27,    /* VMCALL (in VMX root operation: VMfail, 31.3) */
};

enum vt_vmx_fail {
  VT_VMX_SUCCEED = 0,
  VT_VMX_FAIL_INVALID = 1,
  VT_VMX_FAIL_VALID = 2,
};

struct vt_qemu_command {
  uint32_t kind;
  uint32_t width;   /* 4 or 8 bytes */
  uint64_t address;
  uint64_t value;
  uint64_t mask;
  uint64_t result;
  uint32_t status;  /* 0 done, 1 poll timed out, 2 not a command this build runs */
  uint32_t vmx_fail; /* VMX commands: enum vt_vmx_fail */
};

struct vt_qemu_mailbox {
  volatile uint32_t magic;      /* set by the proxy when it is ready */
  volatile uint32_t host_seq;   /* the host increments it after filling `commands` */
  volatile uint32_t guest_seq;  /* the proxy copies host_seq once all commands are done */
  uint32_t count;
  uint64_t poll_limit;          /* iterations before a poll gives up */
  struct vt_qemu_command commands[VT_QEMU_MAX_COMMANDS];
};

/* Batch mode, for a machine whose RAM the host cannot map (Bochs,
 * conformance/bochs_platform). The machine loads the proxy at VT_QEMU_PROXY_BASE (Bochs's
 * optramimage); a boot sector enters flat protected mode and starts the proxy with EAX =
 * VT_BATCH_ENTRY_MAGIC (a multiboot loader passes 0x2BADB002). The proxy reads the batch from
 * the first ATA disk into VT_BATCH_BASE, runs its command lists in order and reports on port
 * 0xE9, one line
 * each (hexadecimal, no leading zeros):
 *   "r LIST INDEX RESULT MASK STATUS VMX_FAIL" for every command with an output (READ,
 *       POLL_*, PCI_READ, RDMSR, CPUID, READ_CR, VMREAD, VMLAUNCH) or a failure;
 *   "L LIST" after each list, "B LISTS" after the last;
 * and ends the machine (Bochs: "Shutdown" to port 0x8900). A machine that hangs or crashes
 * leaves the lines so far: the lists before the first one without its "L" line are done. */
#define VT_BATCH_BASE 0x40400000u
#define VT_BATCH_MAGIC 0x68637442u       /* "BtCh" */
#define VT_BATCH_ENTRY_MAGIC 0x42544348u /* in EAX at the proxy's entry: batch mode */
struct vt_batch_header {
  uint32_t magic;
  uint32_t lists;
  uint64_t bytes; /* the whole batch, header included */
};
/* Each list: this header, then `count` commands; lists follow one another (8-aligned), and
 * the data that COPY commands read follows the last. */
struct vt_batch_list {
  uint32_t count;
  uint32_t reserved;
};

#endif
