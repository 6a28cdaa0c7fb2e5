/* The QEMU platform proxy: a multiboot v1 kernel that executes the host's command lists
 * from the mailbox (../mailbox_abi.h). Built twice:
 *   - 32-bit: flat protected mode, paging off, so every physical address below 4 GiB is
 *     reachable. 8-byte MMIO accesses use SSE MOVQ: the VT-d registers (RTADDR, CCMD, IOTLB)
 *     are 64-bit and accept aligned quadword accesses (VT-d 10.2), and edu's DMA registers
 *     take 8-byte accesses.
 *   - 64-bit (__x86_64__): the multiboot entry builds an identity map of 4 GiB and enters
 *     long mode; VMRUN and INVLPGA commands make it the L1 hypervisor of the AMD-V target,
 *     the VMX commands the L1 hypervisor of the Bochs target.
 * It reads its commands from the mailbox, or, entered with VT_BATCH_ENTRY_MAGIC, from a batch
 * loaded with it (Bochs, whose RAM the host cannot map). */
#include "../mailbox_abi.h"

__attribute__((section(".multiboot"), used, aligned(4)))
static const uint32_t multiboot_header[3] = {0x1BADB002u, 0u, (uint32_t)-(0x1BADB002u + 0u)};

__attribute__((used, aligned(16))) static uint8_t stack[16384];

static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) {
  uint8_t v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
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

#ifdef __x86_64__
/* The VMX instructions (SDM Vol. 3C 31.3). Each returns its outcome: RFLAGS.CF = 1 is
 * VMfailInvalid, ZF = 1 VMfailValid (31.2). */
#define VT_VMX_OUTCOME(insn, ...)                                                        \
  uint8_t cf, zf;                                                                        \
  __asm__ volatile(insn "\n\tsetc %0\n\tsetz %1" : "=qm"(cf), "=qm"(zf) : __VA_ARGS__ : "cc", "memory"); \
  return cf ? VT_VMX_FAIL_INVALID : zf ? VT_VMX_FAIL_VALID : VT_VMX_SUCCEED
static uint32_t vmxon(uint64_t region) { VT_VMX_OUTCOME("vmxon %2", "m"(region)); }
static uint32_t vmclear(uint64_t region) { VT_VMX_OUTCOME("vmclear %2", "m"(region)); }
static uint32_t vmptrld(uint64_t region) { VT_VMX_OUTCOME("vmptrld %2", "m"(region)); }
static uint32_t vmwrite(uint64_t field, uint64_t value) { VT_VMX_OUTCOME("vmwrite %2, %3", "rm"(value), "r"(field)); }
static uint32_t vmread(uint64_t field, uint64_t* value) { VT_VMX_OUTCOME("vmread %3, %2", "m"(*value), "r"(field)); }
struct vt_descriptor { uint64_t low, high; } __attribute__((aligned(16)));
static uint32_t invept(uint64_t type, struct vt_descriptor d) { VT_VMX_OUTCOME("invept %2, %3", "m"(d), "r"(type)); }
static uint32_t invvpid(uint64_t type, struct vt_descriptor d) { VT_VMX_OUTCOME("invvpid %2, %3", "m"(d), "r"(type)); }
static uint32_t vmxoff(void) { VT_VMX_OUTCOME("vmxoff", "i"(0)); }
static uint32_t vmptrst(uint64_t* to) { VT_VMX_OUTCOME("vmptrst %2", "m"(*to)); }
static uint32_t vmcall(void) { VT_VMX_OUTCOME("vmcall", "i"(0)); }
/* Whether the proxy is in VMX operation (its last successful VMXON was not followed by a
 * successful VMXOFF): what a conditional VMXOFF asks. */
static int in_vmx_operation;

/* VMLAUNCH with the guest's RAX and RBX from `regs` (SDM Vol. 3C 27: VM entry loads neither).
 * The host-state RSP and RIP are this frame and the label after VMLAUNCH, so a VM exit
 * comes back here (28.5.3 loads RSP and RIP, no other general register): the callee-saved
 * registers are on the stack, `regs` on top of them, and the guest's RAX and RBX go there.
 * Returns the VMX outcome: a VM exit is VMsucceed. */
struct vt_guest_regs { uint64_t rax, rbx; };
uint32_t vt_vmlaunch(struct vt_guest_regs* regs);
uint32_t vt_vmresume(struct vt_guest_regs* regs);
/* One stub per entry instruction (VMLAUNCH, VMRESUME), the same code around it. */
#define VT_ENTRY_STUB(name, insn)                                                         \
  __asm__(".text\n.globl " #name "\n" #name ":\n"                                         \
          "  push %rbx\n  push %rbp\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n  push %rdi\n" \
          "  mov $0x6c14, %eax\n  vmwrite %rsp, %rax\n"           /* HOST_RSP */         \
          "  lea 1f(%rip), %rdx\n  mov $0x6c16, %eax\n  vmwrite %rdx, %rax\n"  /* HOST_RIP */ \
          "  mov 8(%rdi), %rbx\n  mov 0(%rdi), %rax\n"                                  \
          "  " insn "\n"                                                                 \
          "  pushfq\n  pop %rdx\n  pop %rdi\n"                                           \
          "  mov $1, %eax\n  test $1, %dl\n  jnz 2f\n  mov $2, %eax\n  jmp 2f\n"          \
          "1:\n  mov (%rsp), %rdi\n  mov %rax, 0(%rdi)\n  mov %rbx, 8(%rdi)\n  pop %rdi\n  xor %eax, %eax\n" \
          "2:\n  pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbp\n  pop %rbx\n  ret\n")
VT_ENTRY_STUB(vt_vmlaunch, "vmlaunch");
VT_ENTRY_STUB(vt_vmresume, "vmresume");

/* The host-state area (SDM Vol. 3C 25.5, checked by 27.2.2-27.2.3) is the proxy's own
 * state: its control registers, selectors (TR gets a selector the proxy never loads: a VM
 * exit does not read the GDT for it, 28.5.2), descriptor-table bases and IA32_EFER. */
static uint32_t write_host_state(void) {
  uint64_t cr0, cr3, cr4;
  uint16_t cs, ss, ds, es, fs, gs;
  struct __attribute__((packed)) { uint16_t limit; uint64_t base; } gdtr, idtr;
  __asm__ volatile("mov %%cr0, %0\n\tmov %%cr3, %1\n\tmov %%cr4, %2" : "=r"(cr0), "=r"(cr3), "=r"(cr4));
  __asm__ volatile("mov %%cs, %0\n\tmov %%ss, %1\n\tmov %%ds, %2" : "=r"(cs), "=r"(ss), "=r"(ds));
  __asm__ volatile("mov %%es, %0\n\tmov %%fs, %1\n\tmov %%gs, %2" : "=r"(es), "=r"(fs), "=r"(gs));
  __asm__ volatile("sgdt %0\n\tsidt %1" : "=m"(gdtr), "=m"(idtr));
  const uint64_t fields[][2] = {
      {0x6c00, cr0}, {0x6c02, cr3}, {0x6c04, cr4}, {0x0c00, es}, {0x0c02, cs}, {0x0c04, ss}, {0x0c06, ds},
      {0x0c08, fs}, {0x0c0a, gs}, {0x0c0c, 0x18}, {0x6c06, 0}, {0x6c08, 0}, {0x6c0a, 0}, {0x6c0c, gdtr.base},
      {0x6c0e, idtr.base}, {0x4c00, 0}, {0x6c10, 0}, {0x6c12, 0}, {0x2c02, rdmsr(0xC0000080u)}, {0x2c00, rdmsr(0x277)},
  };
  for (unsigned i = 0; i < sizeof fields / sizeof fields[0]; ++i) {
    uint32_t fail = vmwrite(fields[i][0], fields[i][1]);
    if (fail) return fail;
  }
  return VT_VMX_SUCCEED;
}
#endif

static void run(struct vt_qemu_command* c, uint64_t poll_limit) {
  c->status = 0;
  c->vmx_fail = 0;
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
    /* REP MOVSB / STOSB: one instruction for the emulator to run, not a loop (Bochs speeds
     * up repeated string instructions). */
    case VT_QC_COPY: {
      void* to = (void*)(address_t)c->address;
      const void* from = (const void*)(address_t)c->value;
      address_t n = (address_t)c->mask;
      __asm__ volatile("rep movsb" : "+D"(to), "+S"(from), "+c"(n) : : "memory");
      break;
    }
    case VT_QC_FILL: {
      void* to = (void*)(address_t)c->address;
      address_t n = (address_t)c->mask;
      __asm__ volatile("rep stosb" : "+D"(to), "+c"(n) : "a"(0) : "memory");
      break;
    }
    case VT_QC_READ_CR: {
      address_t v = 0;
      if (c->address == 0) __asm__ volatile("mov %%cr0, %0" : "=r"(v));
      else if (c->address == 3) __asm__ volatile("mov %%cr3, %0" : "=r"(v));
      else if (c->address == 4) __asm__ volatile("mov %%cr4, %0" : "=r"(v));
      else c->status = 2;
      c->result = v;
      break;
    }
    case VT_QC_SET_CR_BITS: {
      address_t v = 0;
      if (c->address == 0) __asm__ volatile("mov %%cr0, %0\n\tor %1, %0\n\tmov %0, %%cr0" : "=&r"(v) : "r"((address_t)c->value) : "memory");
      else if (c->address == 4) __asm__ volatile("mov %%cr4, %0\n\tor %1, %0\n\tmov %0, %%cr4" : "=&r"(v) : "r"((address_t)c->value) : "memory");
      else c->status = 2;
      break;
    }
#ifdef __x86_64__
    case VT_QC_VMRUN: c->result = vt_vmrun(c->address, c->value); break;
    case VT_QC_INVLPGA: __asm__ volatile("invlpga" ::"a"(c->address), "c"((uint32_t)c->value) : "memory"); break;
    case VT_QC_VMXON: c->vmx_fail = vmxon(c->address); break;
    case VT_QC_VMCLEAR: c->vmx_fail = vmclear(c->address); break;
    case VT_QC_VMPTRLD: c->vmx_fail = vmptrld(c->address); break;
    case VT_QC_VMWRITE: c->vmx_fail = vmwrite(c->address, c->value); break;
    case VT_QC_VMREAD: c->vmx_fail = vmread(c->address, &c->result); break;
    case VT_QC_INVEPT: c->vmx_fail = invept(c->address, (struct vt_descriptor){c->value, 0}); break;
    case VT_QC_INVVPID: c->vmx_fail = invvpid(c->address, (struct vt_descriptor){c->value, c->mask}); break;
    case VT_QC_VMLAUNCH:
    case VT_QC_VMRESUME: {
      struct vt_guest_regs regs = {c->address, c->value};
      /* `mask` = 1: the host-state area stays as the VMCS has it (the stub writes only RSP, RIP). */
      c->vmx_fail = c->mask ? VT_VMX_SUCCEED : write_host_state();
      if (c->vmx_fail == VT_VMX_SUCCEED) c->vmx_fail = c->kind == VT_QC_VMLAUNCH ? vt_vmlaunch(&regs) : vt_vmresume(&regs);
      c->result = regs.rbx;
      c->mask = regs.rax;
      break;
    }
    case VT_QC_VMXOFF:
      if (c->value && !in_vmx_operation) break;
      c->vmx_fail = vmxoff();
      break;
    case VT_QC_VMPTRST: c->vmx_fail = vmptrst(&c->result); break;
    case VT_QC_VMCALL: c->vmx_fail = vmcall(); break;
#endif
    default: c->status = 2; break;
  }
#ifdef __x86_64__
  if (c->kind == VT_QC_VMXON && c->vmx_fail == VT_VMX_SUCCEED) in_vmx_operation = 1;
  if (c->kind == VT_QC_VMXOFF && c->vmx_fail == VT_VMX_SUCCEED) in_vmx_operation = 0;
  /* VMfailValid: a current VMCS holds the error number (31.2), read here for the host. */
  if (c->vmx_fail == VT_VMX_FAIL_VALID) {
    uint64_t error = 0;
    vmread(0x4400, &error);
    c->mask = error;
  }
#endif
}

/* Batch mode (../mailbox_abi.h): every list of the batch at VT_BATCH_BASE, reported on
 * port 0xE9. */
static void put_char(char c) { outb(0xE9, (uint8_t)c); }
static void put_hex(uint64_t v) {
  char digits[16];
  int n = 0;
  do {
    digits[n++] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v);
  while (n) put_char(digits[--n]);
}
static void put_line(char tag, const uint64_t* values, int count) {
  put_char(tag);
  for (int i = 0; i < count; ++i) {
    put_char(' ');
    put_hex(values[i]);
  }
  put_char('\n');
}
static int has_output(const struct vt_qemu_command* c) {
  switch (c->kind) {
    case VT_QC_READ: case VT_QC_POLL_CLEAR: case VT_QC_POLL_SET: case VT_QC_PCI_READ: case VT_QC_RDMSR:
    case VT_QC_CPUID: case VT_QC_READ_CR: case VT_QC_VMREAD: case VT_QC_VMLAUNCH: case VT_QC_VMRESUME:
    case VT_QC_VMPTRST: return 1;
    default: return c->status != 0 || c->vmx_fail != 0;
  }
}
/* The batch comes from the machine's first ATA disk (the primary channel's master, ports
 * 1F0H-1F7H), read with READ SECTORS in PIO mode (ATA/ATAPI-6 8.27: LBA 28, up to 256
 * sectors a command, each sector 512 bytes through the data port once DRQ is set). Bochs
 * cannot load more than one 128 KiB memory block reliably with optramimage. */
static void ata_read(uint32_t lba, uint32_t sectors, uint8_t* to) {
  while (sectors) {
    uint32_t n = sectors > 256 ? 256 : sectors;
    while (inb(0x1F7) & 0x80) {}  /* BSY */
    outb(0x1F6, (uint8_t)(0xE0 | ((lba >> 24) & 0x0F)));  /* LBA, master */
    outb(0x1F2, (uint8_t)n);                             /* 0 = 256 */
    outb(0x1F3, (uint8_t)lba);
    outb(0x1F4, (uint8_t)(lba >> 8));
    outb(0x1F5, (uint8_t)(lba >> 16));
    outb(0x1F7, 0x20);                                   /* READ SECTORS */
    for (uint32_t i = 0; i < n; ++i) {
      uint8_t status;
      do status = inb(0x1F7); while ((status & 0x80) || !(status & 0x09));  /* until DRQ or ERR */
      if (status & 0x01) return;                         /* ERR: the batch stays short; the magic or the end tells */
      uint32_t words = 128;
      __asm__ volatile("rep insl" : "+D"(to), "+c"(words) : "d"(0x1F0) : "memory");
    }
    lba += n;
    sectors -= n;
  }
}

__attribute__((noreturn)) static void run_batch(void) {
  const struct vt_batch_header* batch = (const struct vt_batch_header*)(address_t)VT_BATCH_BASE;
  ata_read(0, 1, (uint8_t*)(address_t)VT_BATCH_BASE);
  if (batch->magic == VT_BATCH_MAGIC && batch->bytes > 512)
    ata_read(1, (uint32_t)((batch->bytes - 512 + 511) / 512), (uint8_t*)(address_t)(VT_BATCH_BASE + 512));
  uint32_t lists = batch->magic == VT_BATCH_MAGIC ? batch->lists : 0;
  const uint8_t* at = (const uint8_t*)(batch + 1);
  for (uint32_t l = 0; l < lists; ++l) {
    const struct vt_batch_list* list = (const struct vt_batch_list*)at;
    struct vt_qemu_command* commands = (struct vt_qemu_command*)(list + 1);
    for (uint32_t i = 0; i < list->count; ++i) {
      run(&commands[i], 2000000);
      if (has_output(&commands[i])) {
        const uint64_t line[] = {l, i, commands[i].result, commands[i].mask, commands[i].status, commands[i].vmx_fail};
        put_line('r', line, 6);
      }
    }
    const uint64_t done[] = {l};
    put_line('L', done, 1);
    at = (const uint8_t*)(commands + list->count);
  }
  const uint64_t end[] = {batch->magic == VT_BATCH_MAGIC ? lists : ~0ull};
  put_line('B', end, 1);
  for (const char* p = "Shutdown"; *p; ++p) outb(0x8900, (uint8_t)*p);  /* Bochs's exit port */
  for (;;) __asm__ volatile("cli; hlt");
}

__attribute__((noreturn, used)) void vt_proxy_main(uint32_t entry_magic) {
  if (entry_magic == VT_BATCH_ENTRY_MAGIC) run_batch();
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
        "  push %eax\n  push %eax\n  push %eax\n  push %eax\n"  /* the entry magic: vt_proxy_main's argument */
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
        "  mov %eax, %esi\n"  /* the entry magic, kept for vt_proxy_main */
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
        "  mov %esi, %edi\n"
        "  call vt_proxy_main\n");
#endif
