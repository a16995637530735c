package dev.gatehouse; public class Main { public static void main(String[] a){} }
