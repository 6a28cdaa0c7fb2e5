/* The harness's GDT, TSS and IDT (SDM Vol. 3A 3.4.5, 7.2.3, 6.14.1). Filled at the first
 * entry after the image is loaded, so a boot shim only has to load GDTR/IDTR/TR (the KVM target loads them through
 * KVM_SET_SREGS). The descriptors carry their accessed bits already, so segment loads never
 * write to the GDT. */
#include "harness.h"

struct __attribute__((packed)) vt_tss {
  uint32_t reserved0;
  uint64_t rsp[3];
  uint64_t reserved1;
  uint64_t ist[7];
  uint64_t reserved2;
  uint16_t reserved3;
  uint16_t iomap_base;
};

struct __attribute__((packed)) vt_gate {
  uint16_t offset_low, selector;
  uint8_t ist, type_attr;
  uint16_t offset_mid;
  uint32_t offset_high, reserved;
};

uint64_t vt_gdt[VT_SEL_RING2_CODE / 8 + 1] __attribute__((aligned(16)));
struct vt_tss vt_tss __attribute__((aligned(16)));
struct vt_gate vt_idt[32] __attribute__((aligned(16)));
/* While the batch loop runs (batch.S): for vectors with RFLAGS.AC = 0 and = 1. */
struct vt_gate vt_batch_idt[32] __attribute__((aligned(16)));
struct vt_gate vt_batch_ac_idt[32] __attribute__((aligned(16)));

static void set_gate(struct vt_gate* g, uint64_t handler, unsigned ist) {
  g->offset_low = handler & 0xffff;
  g->selector = VT_SEL_KERNEL_CODE;
  g->ist = (uint8_t)ist;
  g->type_attr = 0x8e; /* present, DPL 0, 64-bit interrupt gate */
  g->offset_mid = (handler >> 16) & 0xffff;
  g->offset_high = handler >> 32;
  g->reserved = 0;
}

void vt_setup_descriptors(void) {
  vt_gdt[0] = 0;
  vt_gdt[VT_SEL_KERNEL_CODE / 8] = 0x00af9b000000ffffull; /* 64-bit code, DPL 0 */
  vt_gdt[VT_SEL_KERNEL_DATA / 8] = 0x00cf93000000ffffull; /* data, DPL 0 */
  vt_gdt[VT_SEL_USER_DATA / 8] = 0x00cff3000000ffffull;   /* data, DPL 3 */
  vt_gdt[VT_SEL_USER_CODE / 8] = 0x00affb000000ffffull;   /* 64-bit code, DPL 3 */
  uint64_t base = (uint64_t)&vt_tss, limit = sizeof(vt_tss) - 1;
  /* 64-bit TSS descriptor, type 9 (available), 16 bytes (SDM Vol. 3A 8.2.3). */
  vt_gdt[VT_SEL_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
                           (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
  vt_gdt[VT_SEL_TSS / 8 + 1] = base >> 32;
  /* Rings 1 and 2, for CPL-1 and CPL-2 accesses (SDM Vol. 3A 3.4.5: DPL in bits 46:45). */
  vt_gdt[VT_SEL_RING1_DATA / 8] = 0x00cfb3000000ffffull; /* data, DPL 1 */
  vt_gdt[VT_SEL_RING1_CODE / 8] = 0x00afbb000000ffffull; /* 64-bit code, DPL 1 */
  vt_gdt[VT_SEL_RING2_DATA / 8] = 0x00cfd3000000ffffull; /* data, DPL 2 */
  vt_gdt[VT_SEL_RING2_CODE / 8] = 0x00afdb000000ffffull; /* 64-bit code, DPL 2 */

  memset(&vt_tss, 0, sizeof(vt_tss));
  vt_tss.rsp[0] = (uint64_t)__rsp0_top;   /* exceptions from CPL 1-3 land here */
  vt_tss.ist[0] = (uint64_t)__ist1_top;   /* #DF on its own stack */
  vt_tss.iomap_base = sizeof(vt_tss);     /* no I/O bitmap: CPL 1-3 have no port access (IOPL 0) */

  for (unsigned v = 0; v < 32; ++v) {
    set_gate(&vt_idt[v], vt_exception_stubs[v], v == 8 ? 1 : 0);
    /* The batch loop's handlers; a double fault goes to the interpreter's on its own stack. */
    const uint64_t batch = v == 8 ? vt_exception_stubs[8] : vt_batch_stubs[v];
    set_gate(&vt_batch_idt[v], batch, v == 8 ? 1 : 0);
    set_gate(&vt_batch_ac_idt[v], v == 0 ? (uint64_t)vt_batch_de_ac : batch, v == 8 ? 1 : 0);
  }
}

/* The info block the host and boot shims read (harness_abi.h). */
__attribute__((section(".vt_info"), used)) const struct vt_info vt_info = {
    .magic = VT_INFO_MAGIC,
    .abi_version = VT_ABI_VERSION,
    .image_size = (uint64_t)__image_size,
    .entry = (uint64_t)vt_entry,
    .stack_top = (uint64_t)__stack_top,
    .gdt = (uint64_t)vt_gdt,
    .gdt_limit = sizeof(vt_gdt) - 1,
    .idt = (uint64_t)vt_idt,
    .idt_limit = sizeof(vt_idt) - 1,
    .tss = (uint64_t)&vt_tss,
    .tss_limit = sizeof(struct vt_tss) - 1,
    .user_begin = (uint64_t)__user_begin,
    .user_end = (uint64_t)__user_end,
};
