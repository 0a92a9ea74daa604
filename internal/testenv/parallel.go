package testenv

import "sync"

// InParallel calls f(0) … f(n-1), width of them at a time, and returns when
// all have returned: n requests at once (width n) for a race, or a load of
// n in width lanes.
func InParallel(n, width int, f func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range width {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
