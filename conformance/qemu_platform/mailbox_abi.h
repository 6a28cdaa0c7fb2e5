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
};

struct vt_qemu_command {
  uint32_t kind;
  uint32_t width;   /* 4 or 8 bytes */
  uint64_t address;
  uint64_t value;
  uint64_t mask;
  uint64_t result;
  uint32_t status;  /* 0 done, 1 poll timed out */
  uint32_t reserved;
};

struct vt_qemu_mailbox {
  volatile uint32_t magic;      /* set by the proxy when it is ready */
  volatile uint32_t host_seq;   /* the host increments it after filling `commands` */
  volatile uint32_t guest_seq;  /* the proxy copies host_seq once all commands are done */
  uint32_t count;
  uint64_t poll_limit;          /* iterations before a poll gives up */
  struct vt_qemu_command commands[VT_QEMU_MAX_COMMANDS];
};

#endif
