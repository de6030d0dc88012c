;; The blend's inner loops (LineAccumulator.add and .thresholdEdges in blend.ts), over float32
;; arrays in the accumulator's WebAssembly memory. Pointers are byte offsets, counts are elements.
;;
;; Each value is computed exactly as the JavaScript it replaces computes it: the float32 inputs are
;; widened to float64, every operation is a float64 one in the same order, and the result is rounded
;; to float32 once when it is stored (a Float32Array store). Two values at a time in f64x2 lanes, the
;; odd last one alone: the same operations, so the same bits, about four times as fast as V8's loop.
;; Loads are written out in place (f64x2.promote_low_f32x4 of v128.load64_zero: two float32 values
;; widened): V8 does not inline a helper function, and the calls cost three times the loop.
;;
;; Built into blend.wasm.ts by `npm run build:kernels -w @holdout/inference` (wabt); kernels.spec
;; checks that the two agree and that every function equals its JavaScript formula bit for bit.
(module
  (import "env" "memory" (memory 0))

  ;; acc[k] += src[k] × w
  (func (export "addScaled") (param $acc i32) (param $src i32) (param $n i32) (param $w f64)
    (local $end i32) (local $vw v128)
    (local.set $vw (f64x2.splat (local.get $w)))
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 2))))
    (block $pairs (loop $pair
      (br_if $pairs (i32.ge_u (local.get $src) (local.get $end)))
      (v128.store64_lane align=4 0 (local.get $acc)
        (f32x4.demote_f64x2_zero
          (f64x2.add (f64x2.promote_low_f32x4 (v128.load64_zero align=4 (local.get $acc)))
            (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero align=4 (local.get $src))) (local.get $vw)))))
      (local.set $acc (i32.add (local.get $acc) (i32.const 8)))
      (local.set $src (i32.add (local.get $src) (i32.const 8)))
      (br $pair)))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (f32.store (local.get $acc)
          (f32.demote_f64
            (f64.add (f64.promote_f32 (f32.load (local.get $acc)))
              (f64.mul (f64.promote_f32 (f32.load (local.get $src))) (local.get $w))))))))

  ;; acc[k] += src[k] × weights[k] × w
  (func (export "addScaledWeighted") (param $acc i32) (param $src i32) (param $weights i32) (param $n i32) (param $w f64)
    (local $end i32) (local $vw v128)
    (local.set $vw (f64x2.splat (local.get $w)))
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 2))))
    (block $pairs (loop $pair
      (br_if $pairs (i32.ge_u (local.get $src) (local.get $end)))
      (v128.store64_lane align=4 0 (local.get $acc)
        (f32x4.demote_f64x2_zero
          (f64x2.add (f64x2.promote_low_f32x4 (v128.load64_zero align=4 (local.get $acc)))
            (f64x2.mul (f64x2.mul (f64x2.promote_low_f32x4 (v128.load64_zero align=4 (local.get $src))) (f64x2.promote_low_f32x4 (v128.load64_zero align=4 (local.get $weights)))) (local.get $vw)))))
      (local.set $acc (i32.add (local.get $acc) (i32.const 8)))
      (local.set $src (i32.add (local.get $src) (i32.const 8)))
      (local.set $weights (i32.add (local.get $weights) (i32.const 8)))
      (br $pair)))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (f32.store (local.get $acc)
          (f32.demote_f64
            (f64.add (f64.promote_f32 (f32.load (local.get $acc)))
              (f64.mul (f64.mul (f64.promote_f32 (f32.load (local.get $src))) (f64.promote_f32 (f32.load (local.get $weights)))) (local.get $w))))))))

  ;; acc[k] += (a[k] + (b[k] − a[k]) × f) × w
  (func (export "addLerp") (param $acc i32) (param $a i32) (param $b i32) (param $n i32) (param $f f64) (param $w f64)
    (local $end i32) (local $x v128) (local $vf v128) (local $vw v128) (local $s f64)
    (local.set $vf (f64x2.splat (local.get $f)))
    (local.set $vw (f64x2.splat (local.get $w)))
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 2))))
    (block $pairs (loop $pair
      (br_if $pairs (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $x (f64x2.promote_low_f32x4 (v128.load64_zero align=4 (local.get $a))))
      (v128.store64_lane align=4 0 (local.get $acc)
        (f32x4.demote_f64x2_zero
          (f64x2.add (f64x2.promote_low_f32x4 (v128.load64_zero align=4 (local.get $acc)))
            (f64x2.mul
              (f64x2.add (local.get $x) (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (v128.load64_zero align=4 (local.get $b))) (local.get $x)) (local.get $vf)))
              (local.get $vw)))))
      (local.set $acc (i32.add (local.get $acc) (i32.const 8)))
      (local.set $a (i32.add (local.get $a) (i32.const 8)))
      (local.set $b (i32.add (local.get $b) (i32.const 8)))
      (br $pair)))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (local.set $s (f64.promote_f32 (f32.load (local.get $a))))
        (f32.store (local.get $acc)
          (f32.demote_f64
            (f64.add (f64.promote_f32 (f32.load (local.get $acc)))
              (f64.mul
                (f64.add (local.get $s) (f64.mul (f64.sub (f64.promote_f32 (f32.load (local.get $b))) (local.get $s)) (local.get $f)))
                (local.get $w))))))))

  ;; acc[k] += (a[k] + (b[k] − a[k]) × f) × weights[k] × w
  (func (export "addLerpWeighted") (param $acc i32) (param $a i32) (param $b i32) (param $weights i32) (param $n i32) (param $f f64) (param $w f64)
    (local $end i32) (local $x v128) (local $vf v128) (local $vw v128) (local $s f64)
    (local.set $vf (f64x2.splat (local.get $f)))
    (local.set $vw (f64x2.splat (local.get $w)))
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 2))))
    (block $pairs (loop $pair
      (br_if $pairs (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $x (f64x2.promote_low_f32x4 (v128.load64_zero align=4 (local.get $a))))
      (v128.store64_lane align=4 0 (local.get $acc)
        (f32x4.demote_f64x2_zero
          (f64x2.add (f64x2.promote_low_f32x4 (v128.load64_zero align=4 (local.get $acc)))
            (f64x2.mul
              (f64x2.mul
                (f64x2.add (local.get $x) (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (v128.load64_zero align=4 (local.get $b))) (local.get $x)) (local.get $vf)))
                (f64x2.promote_low_f32x4 (v128.load64_zero align=4 (local.get $weights))))
              (local.get $vw)))))
      (local.set $acc (i32.add (local.get $acc) (i32.const 8)))
      (local.set $a (i32.add (local.get $a) (i32.const 8)))
      (local.set $b (i32.add (local.get $b) (i32.const 8)))
      (local.set $weights (i32.add (local.get $weights) (i32.const 8)))
      (br $pair)))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (local.set $s (f64.promote_f32 (f32.load (local.get $a))))
        (f32.store (local.get $acc)
          (f32.demote_f64
            (f64.add (f64.promote_f32 (f32.load (local.get $acc)))
              (f64.mul
                (f64.mul
                  (f64.add (local.get $s) (f64.mul (f64.sub (f64.promote_f32 (f32.load (local.get $b))) (local.get $s)) (local.get $f)))
                  (f64.promote_f32 (f32.load (local.get $weights))))
                (local.get $w))))))))

  ;; out[k] = l + (row[hi[k]] − l) × frac[k], l = row[lo[k]]: one model line resized along itself
  ;; (lo and hi are int32 indices into the line; gathers, so one value at a time).
  (func (export "resizeLine") (param $row i32) (param $lo i32) (param $hi i32) (param $frac i32) (param $n i32) (param $out i32)
    (local $end i32) (local $l f64)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
      (local.set $l (f64.promote_f32 (f32.load (i32.add (local.get $row) (i32.shl (i32.load (local.get $lo)) (i32.const 2))))))
      (f32.store (local.get $out)
        (f32.demote_f64
          (f64.add (local.get $l)
            (f64.mul
              (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $row) (i32.shl (i32.load (local.get $hi)) (i32.const 2))))) (local.get $l))
              (f64.promote_f32 (f32.load (local.get $frac)))))))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (local.set $lo (i32.add (local.get $lo) (i32.const 4)))
      (local.set $hi (i32.add (local.get $hi) (i32.const 4)))
      (local.set $frac (i32.add (local.get $frac) (i32.const 4)))
      (br $next))))

;; Where a line of probabilities, thresholded (value ≥ t, compared in float64 as JavaScript
;; compares a float32 value with a number; NaN is outside), changes: writes to `out` each index i
;; whose state differs from index i − 1's (outside before index 0) and returns how many. Four values
;; are compared at a time, and a group of four on the state of the one before costs no branch more.
  (func (export "thresholdEdges") (param $line i32) (param $n i32) (param $t f64) (param $out i32) (result i32)
    (local $i i32) (local $whole i32) (local $v v128) (local $vt v128) (local $mask i32) (local $inside i32)
    (local $count i32) (local $lane i32) (local $bit i32)
    (local.set $vt (f64x2.splat (local.get $t)))
    (local.set $whole (i32.and (local.get $n) (i32.const -4)))
    (block $groups (loop $group
      (br_if $groups (i32.ge_u (local.get $i) (local.get $whole)))
      (local.set $v (v128.load align=4 (i32.add (local.get $line) (i32.shl (local.get $i) (i32.const 2)))))
      ;; Bit k: value k of the four is inside.
      (local.set $mask
        (i32.or
          (i64x2.bitmask (f64x2.ge (f64x2.promote_low_f32x4 (local.get $v)) (local.get $vt)))
          (i32.shl
            (i64x2.bitmask (f64x2.ge
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))
              (local.get $vt)))
            (i32.const 2))))
      (if (i32.ne (local.get $mask) (i32.mul (local.get $inside) (i32.const 15)))
        (then
          (local.set $lane (i32.const 0))
          (loop $each
            (local.set $bit (i32.and (i32.shr_u (local.get $mask) (local.get $lane)) (i32.const 1)))
            (if (i32.ne (local.get $bit) (local.get $inside))
              (then
                (i32.store (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 2))) (i32.add (local.get $i) (local.get $lane)))
                (local.set $count (i32.add (local.get $count) (i32.const 1)))
                (local.set $inside (local.get $bit))))
            (local.set $lane (i32.add (local.get $lane) (i32.const 1)))
            (br_if $each (i32.lt_u (local.get $lane) (i32.const 4))))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $group)))
    (block $done (loop $rest
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $bit (f64.ge (f64.promote_f32 (f32.load (i32.add (local.get $line) (i32.shl (local.get $i) (i32.const 2))))) (local.get $t)))
      (if (i32.ne (local.get $bit) (local.get $inside))
        (then
          (i32.store (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 2))) (local.get $i))
          (local.set $count (i32.add (local.get $count) (i32.const 1)))
          (local.set $inside (local.get $bit))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rest)))
    (local.get $count))
)
