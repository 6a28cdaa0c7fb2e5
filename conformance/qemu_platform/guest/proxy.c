/* The QEMU platform proxy: a multiboot v1 kernel in flat 32-bit protected mode (paging
 * off, so every physical address below 4 GiB is reachable) that executes the host's
 * command lists from the mailbox (../mailbox_abi.h). 8-byte MMIO accesses use SSE MOVQ: the
 * VT-d registers (RTADDR, CCMD, IOTLB) are 64-bit and accept aligned quadword accesses
 * (VT-d 10.2), and edu's DMA registers take 8-byte accesses. */
#include "../mailbox_abi.h"

__attribute__((section(".multiboot"), used, aligned(4)))
static const uint32_t multiboot_header[3] = {0x1BADB002u, 0u, (uint32_t)-(0x1BADB002u + 0u)};

__attribute__((used, aligned(16))) static uint8_t stack[16384];

static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint32_t inl(uint16_t port) {
  uint32_t v;
  __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

static uint64_t load(uint64_t address, uint32_t width) {
  if (width == 8) {
    uint64_t v;
    __asm__ volatile("movq (%1), %%xmm0\n\tmovq %%xmm0, %0" : "=m"(v) : "r"((uint32_t)address) : "xmm0", "memory");
    return v;
  }
  return *(volatile uint32_t*)(uint32_t)address;
}

static void store(uint64_t address, uint32_t width, uint64_t value) {
  if (width == 8) {
    __asm__ volatile("movq %0, %%xmm0\n\tmovq %%xmm0, (%1)" ::"m"(value), "r"((uint32_t)address) : "xmm0", "memory");
    return;
  }
  *(volatile uint32_t*)(uint32_t)address = (uint32_t)value;
}

static void run(struct vt_qemu_command* c, uint64_t poll_limit) {
  c->status = 0;
  switch (c->kind) {
    case VT_QC_WRITE: store(c->address, c->width, c->value); break;
    case VT_QC_READ: c->result = load(c->address, c->width); break;
    case VT_QC_POLL_CLEAR:
    case VT_QC_POLL_SET: {
      uint64_t want = c->kind == VT_QC_POLL_SET ? c->mask : 0, v = 0, i = 0;
      for (; i < poll_limit; ++i) {
        v = load(c->address, c->width);
        if ((v & c->mask) == want) break;
        /* A register-only delay between device reads: under -icount the virtual clock
         * (and with it edu's DMA timer) advances per instruction, and plain instructions
         * cost TCG far less real time than a device access does. */
        for (uint32_t d = VT_QEMU_POLL_DELAY; d; --d) __asm__ volatile("" : "+r"(d));
      }
      c->result = v;
      c->status = i == poll_limit;
      break;
    }
    case VT_QC_PCI_READ: outl(0xCF8, 0x80000000u | ((uint32_t)c->address & 0xFFFFFCu)); c->result = inl(0xCFC); break;
    case VT_QC_PCI_WRITE: outl(0xCF8, 0x80000000u | ((uint32_t)c->address & 0xFFFFFCu)); outl(0xCFC, (uint32_t)c->value); break;
    default: c->status = 2; break;
  }
}

__attribute__((noreturn, used)) void vt_proxy_main(void) {
  struct vt_qemu_mailbox* box = (struct vt_qemu_mailbox*)VT_QEMU_MAILBOX;
  box->guest_seq = box->host_seq;
  __asm__ volatile("" ::: "memory");
  box->magic = VT_QEMU_MAILBOX_MAGIC;
  for (;;) {
    uint32_t seq = box->host_seq;
    if (seq == box->guest_seq) { __asm__ volatile("pause" ::: "memory"); continue; }
    __asm__ volatile("" ::: "memory");
    uint32_t n = box->count < VT_QEMU_MAX_COMMANDS ? box->count : VT_QEMU_MAX_COMMANDS;
    for (uint32_t i = 0; i < n; ++i) run(&box->commands[i], box->poll_limit);
    __asm__ volatile("mfence" ::: "memory");
    box->guest_seq = seq;
  }
}

/* Multiboot entry: EAX = 0x2BADB002, flat segments, paging off. Enable SSE for MOVQ
 * (CR0.EM = 0, CR0.MP = 1, CR4.OSFXSR = 1), take our own stack. */
__asm__(".globl vt_proxy_start\n"
        "vt_proxy_start:\n"
        "  cli\n"
        "  mov %cr0, %eax\n  and $~0x4, %eax\n  or $0x2, %eax\n  mov %eax, %cr0\n"
        "  mov %cr4, %eax\n  or $0x600, %eax\n  mov %eax, %cr4\n"
        "  lea stack+16384, %esp\n"
        "  call vt_proxy_main\n");
