/* The QEMU platform proxy: a multiboot v1 kernel that executes the host's command lists
 * from the mailbox (../mailbox_abi.h). Built twice:
 *   - 32-bit: flat protected mode, paging off, so every physical address below 4 GiB is
 *     reachable. 8-byte MMIO accesses use SSE MOVQ: the VT-d registers (RTADDR, CCMD, IOTLB)
 *     are 64-bit and accept aligned quadword accesses (VT-d 10.2), and edu's DMA registers
 *     take 8-byte accesses.
 *   - 64-bit (__x86_64__): the multiboot entry builds an identity map of 4 GiB and enters
 *     long mode; VMRUN and INVLPGA commands make it the L1 hypervisor of the AMD-V target. */
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

#ifdef __x86_64__
typedef uint64_t address_t;
#else
typedef uint32_t address_t;
#endif

static uint64_t load(uint64_t address, uint32_t width) {
#ifdef __x86_64__
  if (width == 8) return *(volatile uint64_t*)(address_t)address;
#endif
  if (width == 8) {
    uint64_t v;
    __asm__ volatile("movq (%1), %%xmm0\n\tmovq %%xmm0, %0" : "=m"(v) : "r"((uint32_t)address) : "xmm0", "memory");
    return v;
  }
  return *(volatile uint32_t*)(address_t)address;
}

static void store(uint64_t address, uint32_t width, uint64_t value) {
#ifdef __x86_64__
  if (width == 8) {
    *(volatile uint64_t*)(address_t)address = value;
    return;
  }
#endif
  if (width == 8) {
    __asm__ volatile("movq %0, %%xmm0\n\tmovq %%xmm0, (%1)" ::"m"(value), "r"((uint32_t)address) : "xmm0", "memory");
    return;
  }
  *(volatile uint32_t*)(address_t)address = (uint32_t)value;
}

static uint64_t rdmsr(uint32_t msr) {
  uint32_t lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return ((uint64_t)hi << 32) | lo;
}
static void wrmsr(uint32_t msr, uint64_t v) {
  __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

#ifdef __x86_64__
/* VMRUN (AMD64 APM Vol. 2 15.5): rAX = the VMCB. #VMEXIT restores the host's RAX, RSP and
 * RIP but no other general register, so the callee-saved ones are kept on the stack; the
 * guest's RBX comes back as the result. */
uint64_t vt_vmrun(uint64_t vmcb, uint64_t guest_rbx);
__asm__(".text\n.globl vt_vmrun\nvt_vmrun:\n"
        "  push %rbx\n  push %rbp\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n"
        "  mov %rsi, %rbx\n  mov %rdi, %rax\n  vmrun\n  mov %rbx, %rax\n"
        "  pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbp\n  pop %rbx\n  ret\n");
#endif

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
    case VT_QC_RDMSR: c->result = rdmsr((uint32_t)c->address); break;
    case VT_QC_WRMSR: wrmsr((uint32_t)c->address, c->value); break;
    case VT_QC_CPUID: {
      uint32_t a, b, cx, d;
      __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(cx), "=d"(d) : "a"((uint32_t)c->address), "c"((uint32_t)c->value));
      c->result = ((uint64_t)b << 32) | a;
      c->mask = ((uint64_t)d << 32) | cx;
      break;
    }
#ifdef __x86_64__
    case VT_QC_VMRUN: c->result = vt_vmrun(c->address, c->value); break;
    case VT_QC_INVLPGA: __asm__ volatile("invlpga" ::"a"(c->address), "c"((uint32_t)c->value) : "memory"); break;
#endif
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

#ifndef __x86_64__
/* Multiboot entry: EAX = 0x2BADB002, flat segments, paging off. Enable SSE for MOVQ
 * (CR0.EM = 0, CR0.MP = 1, CR4.OSFXSR = 1), take our own stack. */
__asm__(".globl vt_proxy_start\n"
        "vt_proxy_start:\n"
        "  cli\n"
        "  mov %cr0, %eax\n  and $~0x4, %eax\n  or $0x2, %eax\n  mov %eax, %cr0\n"
        "  mov %cr4, %eax\n  or $0x600, %eax\n  mov %eax, %cr4\n"
        "  lea stack+16384, %esp\n"
        "  call vt_proxy_main\n");
#else
/* Multiboot entry (32-bit, paging off) into long mode: PML4[0] -> PDPT[0..3] -> four page
 * directories of 2 MiB pages identity-mapping [0, 4 GiB) (supervisor, writable); CR4.PAE and
 * OSFXSR, EFER.LME and NXE, CR0.PG; a 64-bit code segment. */
__attribute__((aligned(4096), used)) static uint64_t pml4[512];
__attribute__((aligned(4096), used)) static uint64_t pdpt[512];
__attribute__((aligned(4096), used)) static uint64_t pd[4 * 512];
__asm__(".data\n.balign 8\n"
        "vt_gdt: .quad 0, 0x00af9a000000ffff, 0x00cf92000000ffff\n"
        "vt_gdt_desc: .word 23\n .long vt_gdt\n"
        ".text\n.code32\n.globl vt_proxy_start\n"
        "vt_proxy_start:\n"
        "  cli\n"
        "  xor %eax, %eax\n  mov $pml4, %edi\n  mov $(6 * 1024), %ecx\n  rep stosl\n"
        "  mov $pdpt, %eax\n  or $3, %eax\n  mov %eax, pml4\n"
        "  mov $pdpt, %edi\n  mov $pd, %eax\n  or $3, %eax\n  mov $4, %ecx\n"
        "1: mov %eax, (%edi)\n  movl $0, 4(%edi)\n  add $0x1000, %eax\n  add $8, %edi\n  loop 1b\n"
        "  mov $pd, %edi\n  mov $0x83, %eax\n  xor %edx, %edx\n  mov $2048, %ecx\n"
        "2: mov %eax, (%edi)\n  mov %edx, 4(%edi)\n  add $0x200000, %eax\n  adc $0, %edx\n  add $8, %edi\n  loop 2b\n"
        "  mov %cr4, %eax\n  or $0x620, %eax\n  mov %eax, %cr4\n"
        "  mov $pml4, %eax\n  mov %eax, %cr3\n"
        "  mov $0xC0000080, %ecx\n  rdmsr\n  or $0x900, %eax\n  wrmsr\n"
        "  mov %cr0, %eax\n  and $~0x4, %eax\n  or $0x80000003, %eax\n  mov %eax, %cr0\n"
        "  lgdt vt_gdt_desc\n"
        "  ljmp $0x08, $vt_proxy_long\n"
        ".code64\n"
        "vt_proxy_long:\n"
        "  mov $0x10, %ax\n  mov %ax, %ds\n  mov %ax, %es\n  mov %ax, %ss\n"
        "  lea stack+16384(%rip), %rsp\n"
        "  call vt_proxy_main\n");
#endif
