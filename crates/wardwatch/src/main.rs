fn main() {
    println!("wardwatch");
}
