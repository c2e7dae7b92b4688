# vip/: host network: addresses, GARP/NA, VRRP adverts, netlink watch.
