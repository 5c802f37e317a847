fn main() {
    // glibc raises its mmap threshold after each large free, after which the 19 MiB blocks of
    // password hashing come from the heap and stay in the process; a fixed threshold keeps
    // them mapped and returned on free.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: called first, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
    pesiar::cli::main()
}
