fn main() {
    pesiar::cli::main()
}
